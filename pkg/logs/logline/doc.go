// Package logline converts log records to and from the Open API line
// format, losslessly in both directions.
//
// A line is a sequence of key="value" pairs separated by single spaces:
//
//	log_type="2" utc_time="1718500000" device_time="2024-06-16 03:06:40" traffic_duration="12" rx="5120" srcip="192.168.1.20"
//
// The pairs follow these rules:
//
//   - log_type comes first, then utc_time (epoch seconds), then device_time
//     (when set), then the category's fields in proto field order.
//   - Fields holding their zero value ("", 0, false) are left out: proto3
//     cannot tell them from unset, so nothing is lost.
//   - Numbers are decimal; booleans are 1 or 0.
//   - Keys are the proto field names, which match the vendor's \w+.
//
// A value never contains a double quote, so the vendor's parser
// (\w+)="([^"]*)" extracts every pair. Three kinds of byte are
// percent-encoded as %XX (two hex digits, upper case when written): the double quote
// (%22), the percent sign itself (%25) and the control bytes 0x00-0x1F and
// 0x7F (so a line never breaks: a newline is %0A). Every other byte,
// including spaces and UTF-8 beyond ASCII, is written as is. Decode
// reverses the encoding and refuses raw control bytes, a bare % and
// strings that are not valid UTF-8.
//
// Decode accepts the pairs in any order but refuses unknown keys, repeated
// keys and a missing log_type or utc_time. Whatever Decode accepts, Append
// encodes back to a line that decodes to the same record.
package logline
