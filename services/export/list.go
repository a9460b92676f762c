package export

import (
	"context"
	"github.com/tollgate/tollgate/pkg/pagetoken"

	"github.com/tollgate/tollgate/pkg/errs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// defaultPageSize: log pages are larger than management lists by default.
const defaultPageSize = 100

func (s *Service) ListLogs(ctx context.Context, req *exportv1.ListLogsRequest) (*exportv1.ListLogsResponse, error) {
	if _, err := s.deviceForRead(ctx, "parent", req.GetParent()); err != nil {
		return nil, err
	}
	sel, err := parseSelection(req.GetParent(), req.GetCategories(), req.GetStartTime(), req.GetEndTime())
	if err != nil {
		return nil, err
	}
	q := sel.query()
	if q.After, err = s.decodeCursor(req.GetPageToken(), sel); err != nil {
		return nil, err
	}
	size := pagetoken.Size(req.GetPageSize(), defaultPageSize)
	q.Limit = size + 1 // one more tells whether a next page exists
	resp := &exportv1.ListLogsResponse{Logs: make([]*exportv1.LogRecord, 0, min(size, 128))}
	var last store.Cursor
	err = s.store.Scan(ctx, q, func(e store.Entry) bool {
		if len(resp.Logs) == size {
			resp.NextPageToken = s.pages.Encode(last[:], sel.key())
			return false
		}
		resp.Logs = append(resp.Logs, e.Record)
		last = e.Cursor
		return true
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// decodeCursor checks a page token against the selection it must continue.
func (s *Service) decodeCursor(token string, sel selection) (store.Cursor, error) {
	var c store.Cursor
	b, err := s.pages.Decode(token, sel.key())
	if err != nil {
		return c, err
	}
	if b == nil {
		return c, nil
	}
	if len(b) != len(c) {
		// Only a token minted with our key but not by ListLogs gets here.
		return c, errs.Invalid("page_token", "INVALID_PAGE_TOKEN", "page_token does not hold a log position")
	}
	copy(c[:], b)
	return c, nil
}
