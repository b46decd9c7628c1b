package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one accepted message, its headers decoded.
type Message struct {
	From    string   // address of the From header: "no-reply@localhost"
	To      []string // addresses of the To header
	Subject string   // decoded from RFC 2047 words
	Body    string   // text of the first text/plain part, transfer encoding undone, CRLF as "\n"

	Header       mail.Header // as received, for Message-ID, Date and the rest
	Raw          []byte      // the message as received after DATA, CRLF line ends
	EnvelopeFrom string      // MAIL FROM
	EnvelopeTo   []string    // RCPT TO, in order
	User         string      // the AUTH user name, "" without authentication
	TLS          bool        // whether it came over TLS (smtps or after STARTTLS)
}

// parse reads raw as RFC 5322 with MIME bodies.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("read message: %w", err)
	}
	m := Message{Header: msg.Header, Raw: raw}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		return Message{}, fmt.Errorf("From header %q: want one address", msg.Header.Get("From"))
	}
	m.From = from[0].Address
	to, err := msg.Header.AddressList("To")
	if err != nil {
		return Message{}, fmt.Errorf("To header: %w", err)
	}
	for _, a := range to {
		m.To = append(m.To, a.Address)
	}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("Subject header: %w", err)
	}
	body, err := textBody(msg.Header, msg.Body)
	if err != nil {
		return Message{}, err
	}
	m.Body = strings.ReplaceAll(body, "\r\n", "\n")
	return m, nil
}

// textBody returns the decoded text of the first text/plain part of an entity.
func textBody(h mail.Header, r io.Reader) (string, error) {
	mediaType, params := "text/plain", map[string]string{}
	if ct := h.Get("Content-Type"); ct != "" {
		var err error
		if mediaType, params, err = mime.ParseMediaType(ct); err != nil {
			return "", fmt.Errorf("Content-Type %q: %w", ct, err)
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		return firstTextPart(multipart.NewReader(r, params["boundary"]))
	}
	if mediaType != "text/plain" {
		return "", fmt.Errorf("no text/plain part, got %s", mediaType)
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return "", fmt.Errorf("charset %q: want utf-8", cs)
	}
	switch cte := strings.ToLower(h.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // it skips the line breaks
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("Content-Transfer-Encoding %q unknown", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	return string(b), nil
}

func firstTextPart(mr *multipart.Reader) (string, error) {
	for {
		// NextPart undoes quoted-printable itself and drops that header.
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", errors.New("no text/plain part")
		}
		if err != nil {
			return "", fmt.Errorf("multipart: %w", err)
		}
		body, err := textBody(mail.Header(p.Header), p)
		if err == nil {
			return body, nil
		}
	}
}
