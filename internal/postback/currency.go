package postback

import "strings"

// iso4217 lists the active ISO 4217 alphabetic codes (List One, 2025),
// including fund and precious-metal codes, but not XTS (testing) or XXX (no
// currency), and not withdrawn codes (HRK, ANG, SLL, CUC, ZWL, ...): a
// network sending those has a configuration to fix.
var iso4217 = makeSet(`
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV
BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE
CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED
VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU
XUA YER ZAR ZMW ZWG
`)

func makeSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// normalizeCurrency upper-cases a code and checks it against ISO 4217.
func normalizeCurrency(v string) (string, bool) {
	code := strings.ToUpper(strings.TrimSpace(v))
	return code, iso4217[code]
}

// IsCurrency reports whether code is an ISO 4217 code this package accepts;
// the caller can use it to validate an account's default currency.
func IsCurrency(code string) bool { return iso4217[code] }
