package postback

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// maxItems bounds the items kept from one postback.
const maxItems = 200

// parseItems reads an items array: a JSON array in a JSON body, or a string
// holding one (query, form, or a JSON string). Elements that are not objects
// are skipped; an item whose price or quantity is not a number is an error.
func parseItems(p rawParam) ([]Item, *Error) {
	text := strings.TrimSpace(p.value)
	if !strings.HasPrefix(text, "[") {
		return nil, fieldError("items", "%s must be a JSON array of objects", p.name)
	}
	elems, fault := decodeArray([]byte(text))
	if fault != nil {
		return nil, fieldError("items", "%s is not a valid JSON array (offset %d): %s", p.name, fault.offset, fault.reason)
	}
	var out []Item
	for i, raw := range elems {
		if len(raw) == 0 || raw[0] != '{' {
			continue
		}
		members, fault := decodeObject(raw)
		if fault != nil {
			return nil, fieldError("items", "%s[%d] is not a valid JSON object: %s", p.name, i, fault.reason)
		}
		it, err := itemFrom(members, fmt.Sprintf("%s[%d]", p.name, i))
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		if len(out) == maxItems {
			break
		}
	}
	return out, nil
}

func itemFrom(members []member, where string) (Item, *Error) {
	get := func(list []alias) (string, string) {
		for _, a := range list {
			for _, m := range members {
				if normalize(m.key) != a.norm {
					continue
				}
				text, composite := jsonScalar(m.raw)
				if v := clean(text); v != "" && !composite {
					return v, m.key
				}
			}
		}
		return "", ""
	}
	var it Item
	it.ID, _ = get(itemID)
	it.Name, _ = get(itemName)
	it.Variant, _ = get(itemVariant)
	for _, f := range []struct {
		list []alias
		dst  **decimal.Decimal
	}{{itemPrice, &it.Price}, {itemQuantity, &it.Quantity}} {
		v, key := get(f.list)
		if v == "" {
			continue
		}
		d, err := parseDecimal(v)
		if err != nil {
			return Item{}, fieldError("items", "Invalid %s.%s %q: %v", where, key, short(v), err)
		}
		*f.dst = &d
	}
	return it, nil
}

// short keeps echoed input in error messages bounded.
func short(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
