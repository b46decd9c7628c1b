package http

import (
	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// The request and response bodies that are not domain types. Handlers use
// them and the OpenAPI document describes them, so the two cannot drift.
type (
	healthBody struct {
		Status string `json:"status"`
	}
	readyBody struct {
		Ready    bool        `json:"ready"`
		Revision gh.Revision `json:"revision"`
	}
	memberInput struct {
		Member gh.Principal `json:"member"`
	}
	memberAdded struct {
		Member   gh.Principal `json:"member"`
		Created  bool         `json:"created"`
		Revision gh.Revision  `json:"revision"`
	}
	assignmentPatch struct {
		Role string `json:"role"`
	}
	templateApplied struct {
		*directory.TemplateResult
		Revision gh.Revision `json:"revision"`
	}
	keyCreated struct {
		keyView
		Key      string      `json:"key"`
		Revision gh.Revision `json:"revision"`
	}
	batchCheckRequest struct {
		Checks      []checkRequest         `json:"checks"`
		Consistency *directory.Consistency `json:"consistency,omitempty"`
	}
	batchCheckResult struct {
		engine.Decision
		Error *Problem `json:"error,omitempty"`
	}
	batchCheckResponse struct {
		Results  []batchCheckResult `json:"results"`
		Revision gh.Revision        `json:"revision"`
	}
)
