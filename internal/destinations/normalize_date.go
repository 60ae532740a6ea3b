package destinations

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// normalizeBirthdate gives Meta's db format, YYYYMMDD, from the shapes
// networks send: 1991-05-26, 19910526, 05/26/1991 (US order), 26.05.1991
// (European order), "May 26, 1991", "26 May 1991", or a full timestamp.
// An impossible or ambiguous-beyond-repair date gives "".
func normalizeBirthdate(s string) string {
	s = strings.TrimSpace(s)
	// A timestamp ("1991-05-26T00:00:00Z", "1991-05-26 00:00:00"): keep the date.
	if len(s) > 10 && s[4] == '-' && s[7] == '-' && strings.ContainsRune("Tt ", rune(s[10])) {
		s = s[:10]
	}
	if s == "" {
		return ""
	}
	sep := byte(0)
	var parts []string
	start := -1
	for i, r := range s + " " {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			parts = append(parts, s[start:i])
			start = -1
		}
		if sep == 0 && (r == '/' || r == '.' || r == '-') {
			sep = byte(r)
		}
	}
	var y, m, d int
	switch len(parts) {
	case 1:
		p := parts[0]
		if len(p) != 8 || !isDigits(p) {
			return ""
		}
		y, _ = strconv.Atoi(p[:4])
		m, _ = strconv.Atoi(p[4:6])
		d, _ = strconv.Atoi(p[6:])
	case 3:
		var ok bool
		if y, m, d, ok = dateParts(parts, sep); !ok {
			return ""
		}
	default:
		return ""
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1900 || y > time.Now().Year() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", y, m, d)
}

// dateParts orders three tokens into year, month, day.
func dateParts(p []string, sep byte) (y, m, d int, ok bool) {
	// A month written as a word fixes the order: the 4-digit token is the year.
	for i, tok := range p {
		mon, isName := monthNames[strings.ToLower(tok)]
		if !isName {
			continue
		}
		var nums []string
		for j, o := range p {
			if j != i {
				nums = append(nums, o)
			}
		}
		a, b := nums[0], nums[1]
		if len(a) == 4 {
			a, b = b, a
		}
		if len(b) != 4 || !isDigits(a) || !isDigits(b) {
			return 0, 0, 0, false
		}
		d, _ = strconv.Atoi(a)
		y, _ = strconv.Atoi(b)
		return y, mon, d, true
	}
	for _, tok := range p {
		if !isDigits(tok) {
			return 0, 0, 0, false
		}
	}
	n := make([]int, 3)
	for i, tok := range p {
		n[i], _ = strconv.Atoi(tok)
	}
	switch {
	case len(p[0]) == 4: // year first is always Y-M-D
		return n[0], n[1], n[2], true
	case len(p[2]) == 4:
		first, second := n[0], n[1]
		if sep == '/' { // US habit: M/D/Y unless that cannot be
			if first > 12 {
				return n[2], second, first, true
			}
			return n[2], first, second, true
		}
		if second > 12 { // dots and dashes: D.M.Y unless that cannot be
			return n[2], first, second, true
		}
		return n[2], second, first, true
	}
	return 0, 0, 0, false
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
	"dec": 12, "december": 12,
}
