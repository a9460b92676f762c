package export

import (
	"fmt"
	"time"

	"github.com/tollgate/tollgate/pkg/errs"
)

// archiveWindowDays is how far back the Open API serves daily archives.
const archiveWindowDays = 31

// archiveDay returns the device-local day named by date (yyyy-MM-dd) as
// [start, end). The day must be complete (before today in the device's
// time zone) and at most archiveWindowDays days back.
func archiveDay(date string, zone *time.Location, now time.Time) (start, end time.Time, err error) {
	day, err := time.ParseInLocation(time.DateOnly, date, zone)
	if err != nil {
		return start, end, errs.Invalid("device_date", "BAD_DATE", fmt.Sprintf("device_date: %q is not a date (yyyy-MM-dd)", date))
	}
	y, m, d := now.In(zone).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, zone)
	earliest := time.Date(y, m, d-archiveWindowDays, 0, 0, 0, 0, zone)
	if !day.Before(today) || day.Before(earliest) {
		return start, end, errs.Invalid("device_date", "DATE_OUT_OF_RANGE", fmt.Sprintf(
			"device_date: %s is not one of the last %d complete days in the device's time zone %s (%s to %s)",
			date, archiveWindowDays, zone, earliest.Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)))
	}
	y, m, d = day.Date()
	return day, time.Date(y, m, d+1, 0, 0, 0, 0, zone), nil
}
