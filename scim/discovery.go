package scim

import (
	"net/http"
)

// Discovery endpoints (RFC 7644 §4): what this server supports.

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ *call) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://gatehouse.dev/docs/scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		// Versions are answered, but If-Match is not checked yet.
		"etag": map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A directory token (ghs_…) made for the connected directory in Gatehouse.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": location(r, "ServiceProviderConfig", "")},
	})
	return nil
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request, _ *call) error {
	types := []any{
		map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id": "User", "name": "User", "endpoint": "/Users", "schema": userSchema,
			"schemaExtensions": []any{map[string]any{"schema": enterpriseSchema, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": location(r, "ResourceTypes", "User")}},
		map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id": "Group", "name": "Group", "endpoint": "/Groups", "schema": groupSchema,
			"meta": map[string]any{"resourceType": "ResourceType", "location": location(r, "ResourceTypes", "Group")}},
	}
	return (&query{startIndex: 1}).write(w, len(types), types)
}

// attribute describes one attribute of a schema (RFC 7643 §7).
func attribute(name, typ string, multiValued, required bool, sub ...any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": multiValued, "required": required,
		"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

func (s *Server) schemas(w http.ResponseWriter, r *http.Request, _ *call) error {
	value := attribute("value", "string", false, false)
	typ := attribute("type", "string", false, false)
	prim := attribute("primary", "boolean", false, false)
	userName := attribute("userName", "string", false, true)
	userName["uniqueness"] = "server"
	members := attribute("members", "complex", true, false, value, attribute("display", "string", false, false), typ)
	list := []any{
		schema(r, userSchema, "User", userName, attribute("externalId", "string", false, false),
			attribute("name", "complex", false, false, attribute("givenName", "string", false, false),
				attribute("familyName", "string", false, false), attribute("formatted", "string", false, false)),
			attribute("displayName", "string", false, false), attribute("title", "string", false, false),
			attribute("active", "boolean", false, false),
			attribute("emails", "complex", true, false, value, typ, prim),
			attribute("phoneNumbers", "complex", true, false, value, typ, prim)),
		schema(r, enterpriseSchema, "EnterpriseUser", attribute("department", "string", false, false)),
		schema(r, groupSchema, "Group", attribute("displayName", "string", false, true),
			attribute("externalId", "string", false, false), members),
	}
	return (&query{startIndex: 1}).write(w, len(list), list)
}

func schema(r *http.Request, id, name string, attrs ...any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id": id, "name": name, "attributes": attrs,
		"meta": map[string]any{"resourceType": "Schema", "location": location(r, "Schemas", id)}}
}
