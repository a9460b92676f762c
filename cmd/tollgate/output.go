package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// printJSON pretty-prints the API's JSON as it came.
func printJSON(out io.Writer, data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return fmt.Errorf("unexpected answer from the gateway (not JSON)")
	}
	buf.WriteByte('\n')
	_, err := out.Write(buf.Bytes())
	return err
}

// table writes aligned columns: a header row, then one row per item.
func printTable(out io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// field is one line of a detail view.
type field struct{ label, value string }

// printDetail writes one resource as aligned "Label: value" lines.
func printDetail(out io.Writer, fields []field) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		label := f.label
		if label != "" {
			label += ":"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, cell(f.value))
	}
	return tw.Flush()
}

// cell makes a server-provided string safe for a terminal table: no
// control characters (tabs, newlines, escape sequences), "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// formatTime renders a timestamp in UTC, "" when unset.
func formatTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

// enumName renders an enum without its prefix (LICENSE_STATE_ACTIVE →
// ACTIVE), "" when unspecified.
func enumName(e protoreflect.Enum, prefix string) string {
	if e.Number() == 0 {
		return ""
	}
	d := e.Descriptor().Values().ByNumber(e.Number())
	if d == nil {
		return strconv.Itoa(int(e.Number()))
	}
	return strings.TrimPrefix(string(d.Name()), prefix)
}

// listPages fetches one page (when the user asked for one with
// --page-size/--page-token) or every page of a list, and returns the API's
// JSON with the items of every page under itemsKey.
func (c *apiCommand) listPages(ctx context.Context, path string, query url.Values, itemsKey string, p *pageFlags) ([]byte, error) {
	if query == nil {
		query = url.Values{}
	}
	if c.explicitPaging() {
		if p.size < 0 {
			return nil, c.usageErr("--page-size: must not be negative")
		}
		if p.size > 0 {
			query.Set("page_size", strconv.Itoa(p.size))
		}
		if p.token != "" {
			query.Set("page_token", p.token)
		}
		return c.api.call(ctx, http.MethodGet, path, query, nil)
	}
	var (
		merged map[string]json.RawMessage
		items  []json.RawMessage
		seen   = map[string]bool{}
	)
	for {
		data, err := c.api.call(ctx, http.MethodGet, path, query, nil)
		if err != nil {
			return nil, err
		}
		var page map[string]json.RawMessage
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("unexpected answer from the gateway (not a list)")
		}
		var pageItems []json.RawMessage
		if raw, ok := page[itemsKey]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &pageItems); err != nil {
				return nil, fmt.Errorf("unexpected answer from the gateway (%s is not a list)", itemsKey)
			}
		}
		items = append(items, pageItems...)
		merged = page
		var next string
		if raw, ok := page["next_page_token"]; ok {
			_ = json.Unmarshal(raw, &next)
		}
		if next == "" {
			break
		}
		if seen[next] {
			return nil, fmt.Errorf("the gateway returned the same page token twice; stopping")
		}
		seen[next] = true
		query.Set("page_token", next)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	merged[itemsKey] = raw
	merged["next_page_token"] = json.RawMessage(`""`)
	return json.Marshal(merged)
}

// nextPageHint tells a one-page caller how to get the next page.
func (c *apiCommand) nextPageHint(next string) {
	if next != "" && c.explicitPaging() {
		fmt.Fprintf(c.errOut, "more results: --page-token %s\n", next)
	}
}

// none reports an empty list on stderr (stdout stays empty).
func (c *apiCommand) none(what string) {
	fmt.Fprintf(c.errOut, "no %s found\n", what)
}
