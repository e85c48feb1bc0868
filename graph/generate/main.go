// Command generate writes the GraphQL code: gqlgen's models and resolver stubs as
// gqlgen writes them, and the executor (graph/generated) from this project's own
// copies of gqlgen's exec templates (templates/), which emit the serial, leaner
// executor that calls graph/exec. `make generate` runs it from the module root:
//
//	go run ./graph/generate
//
// It is gqlgen's `generate` command (api.Generate in gqlgen v0.17.98) step by step,
// through gqlgen's exported Go API, with one difference: the executor is rendered
// with templates.Render from templates/ instead of codegen.GenerateCode's embedded
// templates. gqlgen has no configuration key for exec templates, and api.Generate
// always renders its own executor after the plugins ran, so the steps are repeated
// here. Nothing is rewritten after rendering.
//
// The templates are copies of gqlgen's codegen/*.gotpl of the version in go.mod,
// edited; templates/UPSTREAM records that version and the sha256 of each original,
// and TestTemplatesMatchUpstream fails when either differs from the module cache, so
// a gqlgen upgrade forces the copies to be re-synced. docs/architecture.md describes
// the edits.
//
// The generator refuses what the templates do not handle: a layout other than
// follow-schema, federation, and batch resolvers.
package main

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/99designs/gqlgen/plugin"
	"github.com/99designs/gqlgen/plugin/modelgen"
	"github.com/99designs/gqlgen/plugin/resolvergen"
	"github.com/vektah/gqlparser/v2/ast"
)

// The template sets are gqlgen's (codegen/generate.go): the root file and one file per
// schema file.
var (
	//go:embed templates/api!.gotpl templates/internal!.gotpl templates/directives_.gotpl
	rootTemplates embed.FS
	//go:embed templates/args.gotpl templates/field.gotpl templates/input.gotpl templates/interface.gotpl templates/object.gotpl templates/type.gotpl templates/generated!.gotpl templates/directives_.gotpl
	schemaTemplates embed.FS
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return fmt.Errorf("loading gqlgen.yml: %w", err)
	}
	return generate(cfg)
}

// generate follows api.Generate (gqlgen v0.17.98, api/generate.go) without the
// federation and incremental branches.
func generate(cfg *config.Config) error {
	if cfg.Federation.IsDefined() {
		return errors.New("federation is not supported by graph/generate's templates")
	}
	if cfg.Exec.Layout != config.ExecLayoutFollowSchema {
		return fmt.Errorf("exec.layout %q: graph/generate renders follow-schema only", cfg.Exec.Layout)
	}
	_ = syscall.Unlink(cfg.Exec.Filename)
	if cfg.Model.IsDefined() {
		_ = syscall.Unlink(cfg.Model.Filename)
	}
	var plugins []plugin.Plugin
	if cfg.Model.IsDefined() {
		plugins = append(plugins, modelgen.New())
	}
	plugins = append(plugins, resolvergen.New())

	if err := cfg.LoadSchema(); err != nil {
		return fmt.Errorf("failed to load schema: %w", err)
	}
	codegen.ClearInlineArgsMetadata()
	if err := codegen.ExpandInlineArguments(cfg.Schema); err != nil {
		return fmt.Errorf("failed to expand inline arguments: %w", err)
	}
	if err := cfg.Init(); err != nil {
		return fmt.Errorf("generating core failed: %w", err)
	}
	for _, p := range plugins {
		if mut, ok := p.(plugin.SchemaMutator); ok {
			if err := mut.MutateSchema(cfg.Schema); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
	}
	for _, p := range plugins {
		if mut, ok := p.(plugin.ConfigMutator); ok {
			if err := mut.MutateConfig(cfg); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
	}
	dataPlugins := make([]any, len(plugins))
	for i := range plugins {
		dataPlugins[i] = plugins[i]
	}
	data, err := codegen.BuildData(cfg, dataPlugins...)
	if err != nil {
		return fmt.Errorf("merging type systems failed: %w", err)
	}
	if data.HasBatchResolverFields() {
		// Per-schema builds would need gqlgen's unexported schema-wide batch set.
		return errors.New("batch resolvers are not supported by graph/generate's templates")
	}
	for _, p := range plugins {
		if g, ok := p.(plugin.CodeGenerator); ok {
			if err := g.GenerateCode(data); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
	}
	if err := generateExec(data); err != nil {
		return fmt.Errorf("generating core failed: %w", err)
	}
	if !cfg.SkipModTidy {
		if err := cfg.Packages.ModTidy(); err != nil {
			return fmt.Errorf("tidy failed: %w", err)
		}
	}
	if !cfg.SkipValidation {
		if err := validate(cfg); err != nil {
			return fmt.Errorf("validation failed: %w", err)
		}
	}
	return nil
}

// validate builds the packages written, as gqlgen does (with go build).
func validate(cfg *config.Config) error {
	dirs := []string{cfg.Exec.Dir()}
	if cfg.Model.IsDefined() {
		dirs = append(dirs, cfg.Model.Dir())
	}
	if cfg.Resolver.IsDefined() {
		dirs = append(dirs, cfg.Resolver.Dir())
	}
	args := []string{"build"}
	for _, d := range dirs {
		args = append(args, filepath.ToSlash(d)+"/...")
	}
	cmd := exec.Command("go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// generateExec is codegen.GenerateCode's follow-schema layout (generatePerSchema in
// gqlgen's codegen/generate.go) with this project's templates: the root file, then one
// file per schema file holding the objects, inputs, interfaces, referenced types and
// directive arguments declared there.
func generateExec(data *codegen.Data) error {
	root, err := subFS(rootTemplates)
	if err != nil {
		return err
	}
	schema, err := subFS(schemaTemplates)
	if err != nil {
		return err
	}
	if err := render(data, filepath.Join(data.Config.Exec.DirName, "root_.generated.go"), root, false); err != nil {
		return err
	}

	builds := map[string]*codegen.Data{}
	build := func(p *ast.Position) *codegen.Data {
		name := filename(p, data.Config)
		if builds[name] == nil {
			c := *data.Config
			if p != nil {
				c.Sources = []*ast.Source{p.Src}
			}
			builds[name] = &codegen.Data{
				Config:           &c,
				QueryRoot:        data.QueryRoot,
				MutationRoot:     data.MutationRoot,
				SubscriptionRoot: data.SubscriptionRoot,
				AllDirectives:    data.AllDirectives,
			}
		}
		return builds[name]
	}
	for _, o := range data.Objects {
		b := build(o.Position)
		b.Objects = append(b.Objects, o)
	}
	for _, in := range data.Inputs {
		b := build(in.Position)
		b.Inputs = append(b.Inputs, in)
	}
	for k, inf := range data.Interfaces {
		b := build(inf.Position)
		if b.Interfaces == nil {
			b.Interfaces = map[string]*codegen.Interface{}
		}
		if b.Interfaces[k] != nil {
			return errors.New("conflicting interface keys")
		}
		b.Interfaces[k] = inf
	}
	for k, rt := range data.ReferencedTypes {
		b := build(rt.Definition.Position)
		if b.ReferencedTypes == nil {
			b.ReferencedTypes = map[string]*config.TypeReference{}
		}
		if b.ReferencedTypes[k] != nil {
			return errors.New("conflicting referenced type keys")
		}
		b.ReferencedTypes[k] = rt
	}
	for _, d := range data.Directives() {
		if len(d.Args) > 0 {
			build(d.Position)
		}
	}
	for name, b := range builds {
		if name == "" {
			continue
		}
		if err := render(b, filepath.Join(data.Config.Exec.DirName, name), schema, true); err != nil {
			return err
		}
	}
	return nil
}

func render(data *codegen.Data, path string, fsys subDir, regionTags bool) error {
	return templates.Render(templates.Options{
		PackageName:     data.Config.Exec.Package,
		Filename:        path,
		Data:            data,
		RegionTags:      regionTags,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
		TemplateFS:      fsys,
		PruneOptions:    data.Config.GetPruneOptions(),
	})
}

// filename is the generated file for a schema file (gqlgen's codegen.filename).
func filename(p *ast.Position, cfg *config.Config) string {
	name := "common!"
	if p != nil && p.Src != nil {
		name = strings.TrimSuffix(filepath.Base(p.Src.Name), filepath.Ext(p.Src.Name))
	}
	tmpl := cfg.Exec.FilenameTemplate
	if tmpl == "" {
		tmpl = "{name}.generated.go"
	}
	return strings.ReplaceAll(tmpl, "{name}", name)
}

type subDir = fs.FS

// subFS is an embedded template set with the templates at its top, where
// templates.Render looks for *.gotpl.
func subFS(e embed.FS) (fs.FS, error) {
	return fs.Sub(e, "templates")
}
