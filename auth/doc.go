// Package auth holds the sign-in primitives: password hashing and policy,
// TOTP, recovery codes, opaque tokens and rate limiting. It does no I/O and
// reads no clock: callers pass the time in, so every function here is a pure
// function of its arguments (and of crypto/rand where it makes secrets).
package auth
