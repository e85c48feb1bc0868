package order

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// Input limits.
const (
	MaxLines          = 100
	MaxQuantity       = 10_000
	MaxIdempotencyKey = 200
	MaxNote           = 2000
	maxText           = 200
)

// CreateParams is createOrder's input.
type CreateParams struct {
	IdempotencyKey  string
	CustomerEmail   string
	CustomerName    *string
	Lines           []LineParams
	ShippingAddress Address
	Note            *string
}

// LineParams names a product by ID or by SKU (exactly one) and a quantity.
type LineParams struct {
	Product  uuid.UUID
	SKU      *string
	Quantity int
}

func trimPtr(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}

func checkText(field, s string, required bool, max int) error {
	if required && s == "" {
		return apperr.Invalid(field, "%s is required", field[strings.LastIndexByte(field, '.')+1:])
	}
	if utf8.RuneCountInString(s) > max {
		return apperr.Invalid(field, "must be at most %d characters", max)
	}
	return nil
}

// normalize validates p, trimming and canonicalising it in place. Errors name the
// field at fault as a path into createOrder's arguments (input.lines.2.quantity).
func (p *CreateParams) normalize() error {
	p.IdempotencyKey = strings.TrimSpace(p.IdempotencyKey)
	if p.IdempotencyKey == "" || len(p.IdempotencyKey) > MaxIdempotencyKey {
		return apperr.Invalid("idempotencyKey", "idempotencyKey must be 1 to %d characters", MaxIdempotencyKey)
	}
	p.CustomerEmail = strings.ToLower(strings.TrimSpace(p.CustomerEmail))
	if addr, err := mail.ParseAddress(p.CustomerEmail); err != nil || addr.Address != p.CustomerEmail ||
		len(p.CustomerEmail) > 254 || !strings.Contains(p.CustomerEmail[strings.LastIndexByte(p.CustomerEmail, '@'):], ".") {
		return apperr.Invalid("customer.email", "%q is not a valid email address", p.CustomerEmail)
	}
	p.CustomerName = trimPtr(p.CustomerName)
	if p.CustomerName != nil {
		if err := checkText("customer.name", *p.CustomerName, false, maxText); err != nil {
			return err
		}
	}
	switch {
	case len(p.Lines) == 0:
		return apperr.Invalid("lines", "an order needs at least one line")
	case len(p.Lines) > MaxLines:
		return apperr.Invalid("lines", "an order can have at most %d lines", MaxLines)
	}
	for i := range p.Lines {
		l := &p.Lines[i]
		field := fmt.Sprintf("lines.%d", i)
		l.SKU = trimPtr(l.SKU)
		if (l.Product == uuid.Nil) == (l.SKU == nil) {
			return apperr.Invalid(field, "give exactly one of productId and sku")
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return apperr.Invalid(field+".quantity", "quantity must be between 1 and %d", MaxQuantity)
		}
	}
	a := &p.ShippingAddress
	a.Name, a.Line2 = trimPtr(a.Name), trimPtr(a.Line2)
	a.Line1, a.City, a.PostalCode = strings.TrimSpace(a.Line1), strings.TrimSpace(a.City), strings.TrimSpace(a.PostalCode)
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	for _, f := range []struct {
		field, value string
		required     bool
	}{
		{"shippingAddress.line1", a.Line1, true},
		{"shippingAddress.city", a.City, true},
		{"shippingAddress.postalCode", a.PostalCode, true},
		{"shippingAddress.name", deref(a.Name), false},
		{"shippingAddress.line2", deref(a.Line2), false},
	} {
		if err := checkText(f.field, f.value, f.required, maxText); err != nil {
			return err
		}
	}
	if !validCountry(a.CountryCode) {
		return apperr.Invalid("shippingAddress.countryCode", "%q is not an ISO 3166-1 alpha-2 country code", a.CountryCode)
	}
	p.Note = trimPtr(p.Note)
	if p.Note != nil {
		if err := checkText("note", *p.Note, false, MaxNote); err != nil {
			return err
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// hash fingerprints the normalised input, so a replayed idempotency key can be told
// apart from a reused one.
func (p *CreateParams) hash() []byte {
	b, _ := json.Marshal(struct {
		Email string
		Name  *string
		Lines []LineParams
		Addr  Address
		Note  *string
	}{p.CustomerEmail, p.CustomerName, p.Lines, p.ShippingAddress, p.Note})
	h := sha256.Sum256(b)
	return h[:]
}

// ISO 3166-1 alpha-2 codes.
const countries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

func validCountry(code string) bool {
	return len(code) == 2 && strings.Contains(countries, code) && strings.Index(countries, code)%3 == 0
}
