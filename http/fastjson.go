package http

import (
	"strconv"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// A check request is decoded thousands of times a second, and encoding/json
// spends most of the server's time on it. The scanner below decodes only the
// plain form clients send — the known members, strings without escapes,
// integers, booleans — into exactly what encoding/json would produce, and
// gives up (returns false) on anything else, which encoding/json then
// decodes or refuses with its usual messages. FuzzFastCheckDecoding holds
// the two to the same results.

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// eat consumes c after white space.
func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters.
func (s *scanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(s.b[start : s.i-1]), true
		case c == '\\' || c < 0x20 || c >= 0x80: // escapes and non-ASCII are left to encoding/json
			return "", false
		}
		s.i++
	}
	return "", false
}

// object reads {"key": value, …}, calling member for each key; member reads the value.
func (s *scanner) object(member func(key string) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.str()
		if !ok || !s.eat(':') {
			return false
		}
		s.ws()
		if !member(k) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

func (s *scanner) boolean() (bool, bool) {
	s.ws()
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		s.i += 4
		return true, true
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

// uint reads a non-negative integer of at most 18 digits.
func (s *scanner) uint() (int64, bool) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == start || s.i-start > 18 || (s.b[start] == '0' && s.i-start > 1) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

func (s *scanner) consistency(dst **directory.Consistency) bool {
	// Like encoding/json, a repeated member fills the object already there.
	if *dst == nil {
		*dst = &directory.Consistency{}
	}
	c := *dst
	return s.object(func(k string) bool {
		switch k {
		case "at_least_revision":
			n, ok := s.uint()
			c.AtLeastRevision = gh.Revision(n)
			return ok
		case "fully_consistent":
			b, ok := s.boolean()
			c.FullyConsistent = b
			return ok
		}
		return false
	})
}

func (s *scanner) check(q *checkRequest) bool {
	return s.object(func(k string) bool {
		var ok bool
		switch k {
		case "org":
			q.Org, ok = s.str()
		case "user":
			q.User, ok = s.str()
		case "workspace":
			q.Workspace, ok = s.str()
		case "capability":
			var c string
			c, ok = s.str()
			q.Capability = gh.Capability(c)
		case "level":
			q.Level, ok = s.str()
		case "consistency":
			ok = s.consistency(&q.Consistency)
		}
		return ok
	})
}

// fastCheck decodes a /v1/check body, or reports false.
func fastCheck(b []byte, q *checkRequest) bool {
	*q = checkRequest{}
	s := &scanner{b: b}
	return s.check(q) && s.end()
}

// fastBatch decodes a /v1/check/batch body, or reports false.
func fastBatch(b []byte, in *batchCheckRequest) bool {
	*in = batchCheckRequest{}
	s := &scanner{b: b}
	ok := s.object(func(k string) bool {
		switch k {
		case "consistency":
			return s.consistency(&in.Consistency)
		case "checks":
			if !s.eat('[') {
				return false
			}
			in.Checks = make([]checkRequest, 0, 1+len(s.b)/100)
			if s.eat(']') {
				return true
			}
			for {
				var q checkRequest
				if !s.check(&q) {
					return false
				}
				in.Checks = append(in.Checks, q)
				if s.eat(']') {
					return true
				}
				if !s.eat(',') {
					return false
				}
			}
		}
		return false
	})
	return ok && s.end()
}
