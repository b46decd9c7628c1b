package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The console's browser tests drive a real headless Chromium (Debian's
// chromium; .ci/run installs it) against a real node. Every page a test
// visits is saved as a screenshot under $GATEHOUSE_SCREENSHOTS (a temporary
// folder when unset) and checked with axe-core for serious or critical
// accessibility violations; a page that breaks its Content-Security-Policy
// fails the test.

//go:embed testdata/axe.min.js
var axeSource string

type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	n     int

	mu       sync.Mutex
	problems []string // CSP violations and script errors the page logged
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the console's browser tests need Chromium: apt-get install chromium (bash .ci/run does)")
	return ""
}

// newBrowser starts a fresh browser profile at the given width.
func newBrowser(t *testing.T, base string, width int64) *browser {
	t.Helper()
	// The profile is removed by hand: Chromium's helpers may still be writing
	// to it for a moment after the browser has gone, which t.TempDir reports.
	profile, err := os.MkdirTemp("", "gatehouse-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(int(width), 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	shots := os.Getenv("GATEHOUSE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: base, shots: shots}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") || e.Entry.Level == log.LevelError && e.Entry.Source == log.SourceJavascript {
				b.note(e.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.note("console.error: " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			b.note(e.ExceptionDetails.Error())
		case *page.EventJavascriptDialogOpening: // a button that asks first: the person says yes
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
	b.run(log.Enable(), runtime.Enable())
	return b
}

func (b *browser) note(s string) {
	b.mu.Lock()
	b.problems = append(b.problems, s)
	b.mu.Unlock()
}

func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

func (b *browser) location() string {
	var u string
	_ = chromedp.Run(b.ctx, chromedp.Location(&u))
	return u
}

// visit opens a console path and checks the page.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.base+path), chromedp.WaitReady("body"))
	name, query, _ := strings.Cut(path, "?")
	if strings.Contains(query, "token=") { // an emailed link's secret stays out of file names
		query = ""
	}
	b.check(strings.Trim(strings.ReplaceAll(name+"_"+query, "/", "_"), "_"))
}

// check screenshots the page, runs axe-core on it and fails on a CSP
// violation or script error logged since the last check.
func (b *browser) check(name string) {
	b.t.Helper()
	b.n = int(shotCount.Add(1))
	var png []byte
	b.run(chromedp.FullScreenshot(&png, 100)) // 100: PNG
	file := filepath.Join(b.shots, fmt.Sprintf("%s-%02d-%s.png", safeName(b.t.Name()), b.n, safeName(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.axe()
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("page %s logged: %s", b.location(), p)
	}
}

var shotCount atomic.Int64 // screenshots of one run are numbered in the order taken

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// axe runs axe-core in the page (injected through the DevTools protocol, so
// the page's policy need not allow it) and reports serious and critical violations.
func (b *browser) axe() {
	b.t.Helper()
	var violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	run := `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical"))`
	b.run(chromedp.Evaluate(axeSource, nil),
		chromedp.Evaluate(run, &violations, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		b.t.Errorf("axe on %s: %s (%s): %s at %s", b.location(), v.ID, v.Impact, v.Help, strings.Join(where, ", "))
	}
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// fill types value into the field matching sel.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run(chromedp.SetValue(sel, value, chromedp.ByQuery))
}

// choose picks the option with this visible label in a select.
func (b *browser) choose(sel, label string) {
	b.t.Helper()
	var ok bool
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); const o = [...s.options].find(o => o.textContent.trim() === %q); if (!o) return false; s.value = o.value; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, label)
	b.run(chromedp.Evaluate(js, &ok))
	if !ok {
		b.t.Fatalf("no option %q in %s at %s", label, sel, b.location())
	}
}

// press clicks the element matching sel and waits for the page it leads to.
func (b *browser) press(sel string) {
	b.t.Helper()
	b.run(chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible), chromedp.Sleep(50*time.Millisecond), chromedp.WaitReady("body"))
	b.waitIdle()
	b.check("after-" + sel)
}

// waitIdle waits until the document has loaded and htmx has no request in flight.
func (b *browser) waitIdle() {
	b.t.Helper()
	b.run(chromedp.Poll(`document.readyState === "complete" && !document.querySelector(".htmx-request")`, nil,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
}

// waitPath waits until a script has taken the page to path, and the page has loaded.
func (b *browser) waitPath(path string) {
	b.t.Helper()
	for range 100 {
		var u string
		if chromedp.Run(b.ctx, chromedp.Location(&u)) == nil && strings.HasSuffix(strings.SplitN(u, "?", 2)[0], path) {
			b.waitIdle()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("the page stayed at %s, not %s", b.location(), path)
}

// has reports whether the page's main text contains s.
func (b *browser) has(s string) bool {
	b.t.Helper()
	return strings.Contains(b.text("main"), s)
}

func (b *browser) want(what string, s ...string) {
	b.t.Helper()
	main := b.text("main")
	for _, x := range s {
		if !strings.Contains(main, x) {
			b.t.Errorf("%s: the page at %s does not say %q; it says:\n%s", what, b.location(), x, main)
		}
	}
}

func (b *browser) wantNot(what string, s ...string) {
	b.t.Helper()
	main := b.text("main")
	for _, x := range s {
		if strings.Contains(main, x) {
			b.t.Errorf("%s: the page at %s says %q, which it must not:\n%s", what, b.location(), x, main)
		}
	}
}

// signIn signs in on the sign-in page and waits for the console.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.visit("/signin")
	b.fill(`input[name=email]`, email)
	b.fill(`input[name=password]`, password)
	b.press(`form[action="/signin"] button[type=submit]`)
}
