package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func deviceCommands() []command {
	return []command{
		{"device create", "register a device in an organization", runDeviceCreate},
		{"device list", "list an organization's devices", runDeviceList},
		{"device get", "show a device and its license", runDeviceGet},
		{"device update", "change a device's settings or renew its license", runDeviceUpdate},
		{"device delete", "delete a device and its API tokens", runDeviceDelete},
	}
}

// deviceFlags are the settable device fields, shared by create and update.
type deviceFlags struct {
	display, model, timeZone, licenseExpire string
}

func (c *apiCommand) deviceFlags() *deviceFlags {
	f := &deviceFlags{}
	c.fs.StringVar(&f.display, "display-name", "", "display name")
	c.fs.StringVar(&f.model, "model", "", "hardware model, e.g. \"USG FLEX 200\"")
	c.fs.StringVar(&f.timeZone, "time-zone", "", "IANA time zone, e.g. Europe/Berlin")
	c.fs.StringVar(&f.licenseExpire, "license-expire", "", "license expiry: RFC 3339 time, date, or duration from now (e.g. 8760h)")
	return f
}

func runDeviceCreate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("device create", "ORGANIZATION", out, errOut)
	f := c.deviceFlags()
	serial := c.fs.String("serial", "", "serial number, unique across the system (required)")
	mac := c.fs.String("mac", "", "MAC address, e.g. 00:13:49:AA:BB:CC (required)")
	id := c.fs.String("id", "", "ID, the last part of the name (default: generated)")
	parent, err := c.oneName(args, c.orgArg)
	if err != nil {
		return err
	}
	var missing []string
	for _, r := range []struct{ flag, value string }{
		{"--display-name", f.display}, {"--serial", *serial}, {"--mac", *mac},
		{"--time-zone", f.timeZone}, {"--license-expire", f.licenseExpire},
	} {
		if r.value == "" {
			missing = append(missing, r.flag)
		}
	}
	if len(missing) > 0 {
		return c.usageErr("missing required flags: %s", strings.Join(missing, ", "))
	}
	expire, err := parseTime("license-expire", f.licenseExpire, time.Now())
	if err != nil {
		return c.usageErr("%v", err)
	}
	d := &tenancyv1.Device{
		DisplayName:  f.display,
		Model:        f.model,
		SerialNumber: *serial,
		MacAddress:   *mac,
		TimeZone:     f.timeZone,
		License:      &tenancyv1.License{ExpireTime: timestamppb.New(expire)},
	}
	q := url.Values{}
	if *id != "" {
		q.Set("device_id", *id)
	}
	data, err := c.api.call(ctx, http.MethodPost, "/v1/"+parent+"/devices", q, d)
	if err != nil {
		return err
	}
	return c.showDevice(data)
}

func runDeviceList(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("device list", "ORGANIZATION", out, errOut)
	p := c.pageFlags()
	state := c.fs.String("license-state", "", "only devices whose license is active or expired")
	parent, err := c.oneName(args, c.orgArg)
	if err != nil {
		return err
	}
	q := url.Values{}
	switch strings.ToLower(*state) {
	case "":
	case "active":
		q.Set("license_state", tenancyv1.LicenseState_LICENSE_STATE_ACTIVE.String())
	case "expired":
		q.Set("license_state", tenancyv1.LicenseState_LICENSE_STATE_EXPIRED.String())
	default:
		return c.usageErr("--license-state: want active or expired, got %q", *state)
	}
	data, err := c.listPages(ctx, "/v1/"+parent+"/devices", q, "devices", p)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	var resp tenancyv1.ListDevicesResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	defer c.nextPageHint(resp.GetNextPageToken())
	if len(resp.GetDevices()) == 0 {
		c.none("devices")
		return nil
	}
	rows := make([][]string, 0, len(resp.GetDevices()))
	for _, d := range resp.GetDevices() {
		rows = append(rows, []string{
			d.GetName(), d.GetDisplayName(), d.GetSerialNumber(),
			enumName(d.GetLicense().GetState(), "LICENSE_STATE_"), daysLeft(d),
		})
	}
	return printTable(out, []string{"NAME", "DISPLAY NAME", "SERIAL", "LICENSE", "DAYS LEFT"}, rows)
}

func daysLeft(d *tenancyv1.Device) string {
	if d.GetLicense().GetExpireTime() == nil {
		return ""
	}
	return strconv.Itoa(int(d.GetLicense().GetDaysRemaining()))
}

func runDeviceGet(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("device get", "NAME", out, errOut)
	name, err := c.oneName(args, c.deviceArg)
	if err != nil {
		return err
	}
	data, err := c.api.call(ctx, http.MethodGet, "/v1/"+name, nil, nil)
	if err != nil {
		return err
	}
	return c.showDevice(data)
}

func runDeviceUpdate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("device update", "NAME", out, errOut)
	f := c.deviceFlags()
	name, err := c.oneName(args, c.deviceArg)
	if err != nil {
		return err
	}
	d := &tenancyv1.Device{}
	var mask []string
	if c.isSet("display-name") {
		d.DisplayName = f.display
		mask = append(mask, "display_name")
	}
	if c.isSet("model") {
		d.Model = f.model
		mask = append(mask, "model")
	}
	if c.isSet("time-zone") {
		d.TimeZone = f.timeZone
		mask = append(mask, "time_zone")
	}
	if c.isSet("license-expire") {
		expire, err := parseTime("license-expire", f.licenseExpire, time.Now())
		if err != nil {
			return c.usageErr("%v", err)
		}
		d.License = &tenancyv1.License{ExpireTime: timestamppb.New(expire)}
		mask = append(mask, "license.expire_time")
	}
	if len(mask) == 0 {
		return c.usageErr("nothing to update: set --display-name, --model, --time-zone or --license-expire")
	}
	data, err := c.patch(ctx, name, mask, d)
	if err != nil {
		return err
	}
	return c.showDevice(data)
}

// runDeviceDelete is `tollgate device delete NAME`.
var runDeviceDelete = deleteCommand("device delete", (*apiCommand).deviceArg)

func (c *apiCommand) showDevice(data []byte) error {
	if c.output == "json" {
		return printJSON(c.out, data)
	}
	var d tenancyv1.Device
	if err := decode(data, &d); err != nil {
		return err
	}
	return printDetail(c.out, []field{
		{"Name", d.GetName()},
		{"Display name", d.GetDisplayName()},
		{"Model", d.GetModel()},
		{"Serial number", d.GetSerialNumber()},
		{"MAC address", d.GetMacAddress()},
		{"Time zone", d.GetTimeZone()},
		{"License", enumName(d.GetLicense().GetState(), "LICENSE_STATE_")},
		{"License expires", formatTime(d.GetLicense().GetExpireTime())},
		{"Days left", daysLeft(&d)},
		{"Created", formatTime(d.GetCreateTime())},
		{"Updated", formatTime(d.GetUpdateTime())},
	})
}
