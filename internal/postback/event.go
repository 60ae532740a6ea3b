package postback

import (
	"strings"

	"github.com/shopspring/decimal"
)

// conversionTypes is seed 001's conversion_type table, matched
// case-insensitively after trimming.
var conversionTypes = map[string]string{
	"click":                 EventOutboundClick,
	"outbound_click":        EventOutboundClick,
	"outboundclick":         EventOutboundClick,
	"form_submit":           EventFormSubmit,
	"formsubmit":            EventFormSubmit,
	"lead":                  EventLead,
	"cpl":                   EventLead,
	"registration":          EventCompleteRegistration,
	"complete_registration": EventCompleteRegistration,
	"completeregistration":  EventCompleteRegistration,
	"acquisition":           EventCompleteRegistration,
	"cpa":                   EventCompleteRegistration,
	"purchase":              EventPurchase,
	"sale":                  EventPurchase,
	"cps":                   EventPurchase,
}

// classifyEvent applies seed 001's priority: event_name, then
// conversion_type, then the automatic rule (Purchase only for a positive
// value sent as commission, otherwise Lead). An unknown conversion_type is
// an error only when no event_name overrides it.
func classifyEvent(eventName, conversionType string, value *decimal.Decimal, valueAlias string) (name, src string, err *Error) {
	if eventName != "" {
		return eventName, EventSourceEventName, nil
	}
	if conversionType != "" {
		ev, ok := conversionTypes[strings.ToLower(conversionType)]
		if !ok {
			return "", "", &Error{Field: "conversion_type", Message: MsgUnknownConversionType}
		}
		return ev, EventSourceConversionType, nil
	}
	if value != nil && value.IsPositive() && valueAlias == "commission" {
		return EventPurchase, EventSourceAutomatic, nil
	}
	return EventLead, EventSourceAutomatic, nil
}
