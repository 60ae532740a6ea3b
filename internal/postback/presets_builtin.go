package postback

// networkStatuses is the vocabulary affiliate networks share; every network
// preset starts from it. Keys are statusKey() forms.
var networkStatuses = map[string]Status{
	"approved": StatusApproved, "approve": StatusApproved, "confirmed": StatusApproved,
	"paid": StatusApproved, "sale": StatusApproved, "completed": StatusApproved,
	"locked": StatusApproved, "cleared": StatusApproved,

	"pending": StatusPending, "hold": StatusPending, "onhold": StatusPending,
	"preapproved": StatusPending, "processing": StatusPending, "inprocess": StatusPending,
	"waiting": StatusPending,

	"rejected": StatusRejected, "reject": StatusRejected, "trash": StatusRejected,
	"cancelled": StatusRejected, "canceled": StatusRejected, "declined": StatusRejected,
	"denied": StatusRejected, "reversed": StatusRejected, "reversal": StatusRejected,
	"scrubbed": StatusRejected, "invalid": StatusRejected, "fraud": StatusRejected,
	"refunded": StatusRejected, "refund": StatusRejected, "chargeback": StatusRejected,
	"void": StatusRejected, "voided": StatusRejected,
}

func statuses(extra map[string]Status) map[string]Status {
	out := make(map[string]Status, len(networkStatuses)+len(extra))
	for k, v := range networkStatuses {
		out[k] = v
	}
	for k, v := range extra {
		out[statusKey(k)] = v
	}
	return out
}

// builtinPresets, in the order the API lists them. Field lists accept the
// network's own parameter names (a network posting its native format);
// templates put our canonical names next to the network's macros.
var builtinPresets = []Preset{
	{
		Name:        "custom",
		Description: "AnyTrack-style custom integration: canonical names and aliases only (click_id, commission, currency, transaction_id, ...).",
		Template: []TemplateParam{
			{"click_id", "{click_id}"}, {"commission", "{commission}"}, {"currency", "{currency}"},
			{"transaction_id", "{transaction_id}"}, {"status", "{status}"},
		},
	},
	{
		Name:        "funnelflux",
		Description: "FunnelFlux Pro postbacks: hit or vid+p, tx, rev (treated as commission), status, disable_postbacks.",
		Fields:      []FieldMapping{{"rev", "commission"}},
		Template: []TemplateParam{
			{"hit", "REPLACE"}, {"tx", "OPTIONAL"}, {"rev", "OPTIONAL"}, {"status", "OPTIONAL"},
		},
	},
	{
		Name:        "galapartners",
		Description: "Gala Partners (Income Access): affcustomid is the click id, totalcommission the value, currencysymbol the currency.",
		Fields: []FieldMapping{
			{"affcustomid", "click_id"}, {"totalcommission", "commission"}, {"currencysymbol", "currency"},
		},
		Statuses: statuses(nil),
	},
	{
		Name:        "hasoffers",
		Description: "HasOffers / TUNE: aff_click_id (or aff_sub) is the click id, payout the commission, session_ip the visitor's IP.",
		Fields: []FieldMapping{
			{"aff_click_id", "click_id"}, {"aff_sub", "click_id"}, {"payout", "commission"},
			{"ip", ""}, {"session_ip", "ip"},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "{aff_click_id}"}, {"commission", "{payout}"}, {"currency", "{currency}"},
			{"transaction_id", "{transaction_id}"},
		},
	},
	{
		Name:        "impact",
		Description: "impact.com: SubId1 is the click id, Payout the commission (Amount, the sale amount, is ignored), ActionId the transaction, REVERSED rejects.",
		Fields: []FieldMapping{
			{"SubId1", "click_id"}, {"Payout", "commission"}, {"Amount", ""},
			{"ActionId", "transaction_id"}, {"OID", "transaction_id"}, {"EventDate", "timestamp"},
			{"ActionStatus", "status"}, {"State", "status"}, {"CampaignName", "brand_name"},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "{SubId1}"}, {"commission", "{Payout}"}, {"currency", "{Currency}"},
			{"transaction_id", "{ActionId}"}, {"status", "{Status}"}, {"brand_name", "{CampaignName}"},
		},
	},
	{
		Name:        "everflow",
		Description: "Everflow partner postbacks: sub1 is the click id, payout the commission; amount (sale amount) is ignored.",
		Fields: []FieldMapping{
			{"sub1", "click_id"}, {"payout", "commission"}, {"amount", ""},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "{sub1}"}, {"commission", "{payout}"}, {"transaction_id", "{transaction_id}"},
		},
	},
	{
		Name:        "cake",
		Description: "CAKE: s2 is the click id, price the commission, leadid (or tid) the transaction, utcunixtime the time.",
		Fields: []FieldMapping{
			{"s2", "click_id"}, {"price", "commission"}, {"leadid", "transaction_id"},
			{"tid", "transaction_id"}, {"utcunixtime", "timestamp"},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "#s2#"}, {"commission", "#price#"}, {"transaction_id", "#leadid#"},
			{"timestamp", "#utcunixtime#"},
		},
	},
	{
		Name:        "affise",
		Description: "Affise affiliate postbacks: sub1 is the click id, sum the commission; status 1 approved, 2 pending, 3 declined, 5 hold.",
		Fields: []FieldMapping{
			{"sub1", "click_id"}, {"sum", "commission"},
		},
		Statuses: statuses(map[string]Status{
			"1": StatusApproved, "2": StatusPending, "3": StatusRejected, "5": StatusPending,
		}),
		Template: []TemplateParam{
			{"click_id", "{sub1}"}, {"commission", "{sum}"}, {"currency", "{currency}"},
			{"transaction_id", "{transactionid}"}, {"status", "{status}"}, {"timestamp", "{timestamp}"},
		},
	},
	{
		Name:        "trackier",
		Description: "Trackier: p1 (or click_id) is the click id, payout or revenue the commission, txn_id the transaction.",
		Fields: []FieldMapping{
			{"p1", "click_id"}, {"payout", "commission"}, {"revenue", "commission"},
			{"txn_id", "transaction_id"},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "{p1}"}, {"commission", "{payout}"}, {"transaction_id", "{txn_id}"},
		},
	},
	{
		Name:        "voluum",
		Description: "Voluum: accepts Voluum-format postbacks (cid, payout, txid, et); the template uses Voluum's traffic-source tokens.",
		Fields: []FieldMapping{
			{"cid", "click_id"}, {"payout", "commission"}, {"txid", "transaction_id"}, {"et", "event_name"},
		},
		Statuses: statuses(nil),
		Template: []TemplateParam{
			{"click_id", "{externalid}"}, {"commission", "{payout}"},
		},
	},
	{
		Name:        "keitaro",
		Description: "Keitaro: accepts Keitaro-format postbacks (subid, tid, payout/revenue, status lead|sale|rejected|rebill).",
		Fields: []FieldMapping{
			{"subid", "click_id"}, {"sub_id", "click_id"}, {"tid", "transaction_id"},
			{"payout", "commission"}, {"revenue", "commission"},
		},
		Statuses: statuses(map[string]Status{
			"lead": StatusPending, "sale": StatusApproved, "rebill": StatusApproved, "rejected": StatusRejected,
		}),
		Template: []TemplateParam{
			{"click_id", "{external_id}"}, {"commission", "{revenue}"}, {"transaction_id", "{tid}"},
			{"status", "{status}"},
		},
	},
}
