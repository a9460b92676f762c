// Package simulate generates realistic security log records for every
// category of a device, deterministically: the same seed, time zone and
// day always give the same records, whatever order days are asked in.
//
// The records are what a small office firewall would log: a LAN of a few
// dozen clients (private addresses, MACs with real vendor prefixes, users)
// talking to large public server networks, with attacks, malware, botnets
// and DNS blocks from hostile networks mixed in. No value contains a
// double quote; EscapingSample is the one deliberate exception.
package simulate

import (
	"iter"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/pkg/logs/logline"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

const lanSize = 40

// ispPrefixes are where the device's own WAN address comes from.
var ispPrefixes = [][2]byte{{81, 169}, {84, 17}, {62, 214}, {78, 46}}

// Generator makes the records of one simulated device.
type Generator struct {
	seed        uint64
	loc         *time.Location
	clients     []client
	wanIP       string
	firmware    string
	bootTime    time.Time
	observesDST bool
}

// New returns a generator for a device in time zone loc.
func New(seed uint64, loc *time.Location) *Generator {
	rng := rand.New(rand.NewPCG(seed, 0))
	jan, jul := time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 7, 1, 0, 0, 0, 0, loc)
	_, janOffset := jan.Zone()
	_, julOffset := jul.Zone()
	return &Generator{
		seed:        seed,
		loc:         loc,
		clients:     newClients(rng, lanSize),
		wanIP:       addressIn(rng, ispPrefixes),
		firmware:    pick(rng, firmwareBuild),
		bootTime:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(1000)) * time.Hour),
		observesDST: janOffset != julOffset,
	}
}

// Day yields perDay records spread over the device-local calendar day that
// contains day, in time order. With perDay of 24 or more every category
// appears at least once.
func (g *Generator) Day(day time.Time, perDay int) iter.Seq[*exportv1.LogRecord] {
	return func(yield func(*exportv1.LogRecord) bool) {
		y, m, d := day.In(g.loc).Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, g.loc)
		span := int64(time.Date(y, m, d+1, 0, 0, 0, 0, g.loc).Sub(start) / time.Second) // 23-25 hours
		rng := rand.New(rand.NewPCG(g.seed, uint64(start.Unix())))
		forced := forcedCategories(perDay)
		per := max(int64(perDay), 1)
		for i := range perDay {
			// One record per slot of span/perDay seconds keeps them in order
			// without sorting.
			offset := int64(i) * span / per
			if slot := span / per; slot > 1 {
				offset += rng.Int64N(slot)
			}
			logType, ok := forced[i]
			if !ok {
				logType = weightedCategory(rng)
			}
			if !yield(g.record(rng, logType, start.Add(time.Duration(offset)*time.Second))) {
				return
			}
		}
	}
}

// Days yields the records of the days complete days before now's day (in
// the device's time zone), oldest first.
func (g *Generator) Days(now time.Time, days, perDay int) iter.Seq[*exportv1.LogRecord] {
	return func(yield func(*exportv1.LogRecord) bool) {
		y, m, d := now.In(g.loc).Date()
		for back := days; back >= 1; back-- {
			for r := range g.Day(time.Date(y, m, d-back, 12, 0, 0, 0, g.loc), perDay) {
				if !yield(r) {
					return
				}
			}
		}
	}
}

func (g *Generator) record(rng *rand.Rand, logType int32, at time.Time) *exportv1.LogRecord {
	r := &exportv1.LogRecord{
		LogType:    logType,
		UtcTime:    timestamppb.New(at),
		DeviceTime: at.In(g.loc).Format(logline.DeviceTimeLayout),
	}
	e := &event{rng: rng, g: g, at: at, client: pick(rng, g.clients)}
	builders[logType](e, r)
	return r
}

// forcedCategories spreads one record of each category over the day.
func forcedCategories(perDay int) map[int]int32 {
	if perDay < category.Count {
		return nil
	}
	out := make(map[int]int32, category.Count)
	for t := range int32(category.Count) {
		out[int(t)*perDay/category.Count] = t
	}
	return out
}

var totalWeight = func() int {
	n := 0
	for _, w := range weights {
		n += w
	}
	return n
}()

func weightedCategory(rng *rand.Rand) int32 {
	n := rng.IntN(totalWeight)
	for t, w := range weights {
		if n < w {
			return int32(t)
		}
		n -= w
	}
	return int32(len(weights) - 1)
}

// EscapingSample is a mail protection record whose values hold what the
// line format must escape: double quotes, percent signs, a tab and a
// newline. Simulations can add it to prove that archives stay parseable.
func EscapingSample(at time.Time, loc *time.Location) *exportv1.LogRecord {
	at = at.Truncate(time.Second)
	return &exportv1.LogRecord{
		LogType:    5,
		UtcTime:    timestamppb.New(at),
		DeviceTime: at.In(loc).Format(logline.DeviceTimeLayout),
		Category: &exportv1.LogRecord_MailProtection{MailProtection: &exportv1.MailProtectionLog{
			MailProtocol:    "SMTP",
			MailMalware:     "phishing",
			MailFrom:        `"Billing Dept" <billing@supplier-example.com>`,
			MailSubject:     "Re: \"urgent\" invoice 100% overdue\tpay now\nsecond line",
			MatchRuleNumber: 3,
			MailAction:      "drop",
			Srcip:           "192.168.1.20",
			Srcport:         51514,
			Dstip:           "142.250.74.27",
			Dstport:         25,
		}},
	}
}
