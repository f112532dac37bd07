package pubmed

import (
	"bango/internal/errs"
	"bango/internal/numbersetup"
)

// NumberSetupPeople is public-expense care's people for a My Number setup
// from a registry file (R-PUB-2): the residents with an application or a
// certificate of the municipality who have no My Number registered.
func NumberSetupPeople() numbersetup.Business {
	return numbersetup.PeopleWhere{
		ID:    "pubmed",
		Label: errs.Message{JA: "公費負担医療", EN: "public-expense medical care"},
		Where: `(EXISTS (SELECT 1 FROM pubmed_certificates c WHERE c.tenant_code = r.tenant_code AND c.resident_code = r.code)
			OR EXISTS (SELECT 1 FROM pubmed_applications a WHERE a.tenant_code = r.tenant_code AND a.resident_code = r.code))`,
	}
}
