package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// event is what one record is built from: the day's random source, the
// generator's LAN, the record's time and a client it is about.
type event struct {
	rng    *rand.Rand
	g      *Generator
	at     time.Time
	client client
}

// builders fill a record's category, indexed by log_type.
var builders = [24]func(e *event, r *exportv1.LogRecord){
	buildCommon, buildApplicationPatrol, buildTraffic, buildAntiMalware,
	buildThreatProtection, buildMailProtection, buildWebProtection, buildApManaged,
	buildDhcpEvent, buildSystemService, buildVpnConnection, buildInterfaceStatistic,
	buildUserEvent, buildApplicationTraffic, buildAntiBotnet, buildSandbox,
	buildSandboxStatistics, buildDeviceEvent, buildSystemEvent, buildReputation,
	buildApplicationUsage, buildDNSFilter, buildDNSContentFilter, buildDutScanStatistics,
}

// weights make the mix realistic: traffic dominates, rare events stay rare.
var weights = [24]int{3, 6, 30, 2, 4, 2, 8, 2, 3, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 4, 10, 8, 3, 1}

// clientKeys are the Open API "client keys" of one event.
type clientKeys struct {
	srcip, dstip     string
	srcport, dstport uint32
	c                client
}

// setClientKeys fills the client keys a category has (dns_content_filter,
// for one, has no dstport) by name, since each category message declares
// its own copy of them.
func setClientKeys(m protoreflect.Message, k clientKeys) {
	fields := m.Descriptor().Fields()
	set := func(name string, v protoreflect.Value) {
		if fd := fields.ByName(protoreflect.Name(name)); fd != nil {
			m.Set(fd, v)
		}
	}
	str := protoreflect.ValueOfString
	set("srcip", str(k.srcip))
	set("srcport", protoreflect.ValueOfUint32(k.srcport))
	set("dstip", str(k.dstip))
	set("dstport", protoreflect.ValueOfUint32(k.dstport))
	set("user", str(k.c.user))
	set("client_host", str(k.c.host))
	set("client_mac", str(k.c.mac))
	set("client_dev_category", str(k.c.kind.category))
	set("client_dev_type", str(k.c.kind.kind))
	set("client_dev_os", str(k.c.kind.os))
	set("client_dev_os_version", str(k.c.kind.osVersion))
	set("client_dev_manufacture", str(k.c.kind.manufacturer))
}

// outbound are client keys of a LAN client talking to a public server.
func (e *event) outbound(port uint32) clientKeys {
	return clientKeys{srcip: e.client.ip, srcport: ephemeralPort(e.rng), dstip: publicServer(e.rng), dstport: port, c: e.client}
}

// inbound are client keys of an outside host reaching a LAN client.
func (e *event) inbound(port uint32) clientKeys {
	return clientKeys{srcip: hostileAddress(e.rng), srcport: ephemeralPort(e.rng), dstip: e.client.ip, dstport: port, c: e.client}
}

// bytes returns a long-tailed byte count around scale.
func (e *event) bytes(scale float64) int64 {
	return int64(scale * math.Exp(e.rng.NormFloat64()*1.2))
}

func (e *event) rule() int32 { return int32(1 + e.rng.IntN(24)) }

func (e *event) oneIn(n int) bool { return e.rng.IntN(n) == 0 }

func portOf(app string) uint32 {
	if p, ok := wellKnownPorts[app]; ok {
		return p
	}
	return 443
}

func buildCommon(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_Common{Common: &exportv1.CommonLog{
		FwVer:        e.g.firmware,
		SystemUptime: int64(e.at.Sub(e.g.bootTime) / time.Second),
		CpuUsage:     int32(3 + e.rng.IntN(60)),
		MemoryUsage:  int32(30 + e.rng.IntN(45)),
		SessionUsage: int32(200 + e.rng.IntN(8000)),
		MaxSession:   250000,
		DataCpuUsage: int32(1 + e.rng.IntN(40)),
	}}
}

func buildApplicationPatrol(e *event, r *exportv1.LogRecord) {
	app := pick(e.rng, applications)
	action := "allow"
	if app.category == "P2P" || app.category == "Games" || e.oneIn(12) {
		action = "block"
	}
	m := &exportv1.ApplicationPatrolLog{AppCategory: app.category, AppName: app.name, MatchRuleNumber: e.rule(), AppAction: action}
	setClientKeys(m.ProtoReflect(), e.outbound(portOf(app.name)))
	r.Category = &exportv1.LogRecord_ApplicationPatrol{ApplicationPatrol: m}
}

func buildTraffic(e *event, r *exportv1.LogRecord) {
	app := pick(e.rng, applications)
	keys := e.outbound(portOf(app.name))
	m := &exportv1.TrafficLog{
		TrafficDuration: int64(1 + e.rng.IntN(1800)),
		TrafficAppName:  app.name,
		Rx:              e.bytes(250_000),
		Tx:              e.bytes(30_000),
		TrafficProtocol: app.protocol,
		SnatIp:          e.g.wanIP,
		SnatPort:        ephemeralPort(e.rng),
	}
	if e.oneIn(20) { // a port-forwarded inbound session
		keys = e.inbound(443)
		keys.dstip = e.g.wanIP
		m.SnatIp, m.SnatPort = "", 0
		m.DnatIp, m.DnatPort = e.client.ip, 8443
	}
	setClientKeys(m.ProtoReflect(), keys)
	r.Category = &exportv1.LogRecord_Traffic{Traffic: m}
}

func buildAntiMalware(e *event, r *exportv1.LogRecord) {
	s := pick(e.rng, malwareSamples)
	m := &exportv1.AntiMalwareLog{VirusName: s.name, VirusHash: hexString(e.rng, 64), FileName: s.file, MatchRuleNumber: e.rule(), Action: pick(e.rng, []string{"destroy", "quarantine", "block"})}
	setClientKeys(m.ProtoReflect(), e.outbound(pick(e.rng, []uint32{80, 443, 21})))
	r.Category = &exportv1.LogRecord_AntiMalware{AntiMalware: m}
}

func buildThreatProtection(e *event, r *exportv1.LogRecord) {
	s := pick(e.rng, signatures)
	m := &exportv1.ThreatProtectionLog{SignatureId: s.id, Signature: s.name, MatchRuleNumber: e.rule(), ThreatAction: pick(e.rng, []string{"drop", "reset", "log"}), ThreatType: s.kind, Severity: s.severity}
	setClientKeys(m.ProtoReflect(), e.inbound(pick(e.rng, []uint32{80, 443, 22, 445, 3389})))
	r.Category = &exportv1.LogRecord_ThreatProtection{ThreatProtection: m}
}

func buildMailProtection(e *event, r *exportv1.LogRecord) {
	verdict, action := "", "forward"
	switch e.rng.IntN(4) {
	case 0:
		verdict, action = "spam", "tag"
	case 1:
		verdict, action = pick(e.rng, malwareSamples).name, "drop"
	case 2:
		verdict, action = "phishing", "drop"
	}
	m := &exportv1.MailProtectionLog{MailProtocol: pick(e.rng, []string{"SMTP", "POP3", "IMAP4"}), MailMalware: verdict, MailFrom: pick(e.rng, mailSenders), MailSubject: pick(e.rng, mailSubjects), MatchRuleNumber: e.rule(), MailAction: action}
	setClientKeys(m.ProtoReflect(), e.outbound(pick(e.rng, []uint32{25, 110, 143, 993})))
	r.Category = &exportv1.LogRecord_MailProtection{MailProtection: m}
}

func buildWebProtection(e *event, r *exportv1.LogRecord) {
	s := pick(e.rng, websites)
	action := "pass"
	switch s.category {
	case "Malicious Sites", "Phishing", "Adult Content", "Gambling":
		action = "block"
	}
	m := &exportv1.WebProtectionLog{WebCategory: s.category, Website: s.host, MatchRuleNumber: e.rule(), WebAction: action}
	setClientKeys(m.ProtoReflect(), e.outbound(443))
	r.Category = &exportv1.LogRecord_WebProtection{WebProtection: m}
}

func buildApManaged(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_ApManaged{ApManaged: &exportv1.ApManagedLog{
		ApName:         pick(e.rng, apNames),
		ApAction:       pick(e.rng, []string{"associate", "disassociate", "roam"}),
		StationMac:     e.client.mac,
		Reason:         pick(e.rng, apReasons),
		ApMaxStation:   64,
		ApRxErrorCount: int64(e.rng.IntN(500)),
		ApTxRetryCount: int64(e.rng.IntN(2000)),
		ApBand:         pick(e.rng, []string{"2.4GHz", "5GHz", "6GHz"}),
		SignalStrength: int32(-30 - e.rng.IntN(55)),
		StationTxPkt:   e.bytes(20_000),
		StationRxPkt:   e.bytes(40_000),
		StationSsid:    pick(e.rng, ssids),
		StationIp:      e.client.ip,
	}}
}

func buildDhcpEvent(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_DhcpEvent{DhcpEvent: &exportv1.DhcpEventLog{
		Ip: e.client.ip, ClientHost: e.client.host, ClientMac: e.client.mac,
		DhcpAction: pick(e.rng, []string{"assign", "renew", "release"}),
	}}
}

func buildSystemService(e *event, r *exportv1.LogRecord) {
	_, offset := e.at.In(e.g.loc).Zone()
	r.Category = &exportv1.LogRecord_SystemService{SystemService: &exportv1.SystemServiceLog{
		ServiceName:      pick(e.rng, services),
		ServiceStatus:    pick(e.rng, []string{"running", "running", "restarted", "stopped"}),
		IsSyncTimezone:   true,
		IsSyncDaylight:   e.g.observesDST,
		IsEnableDaylight: e.g.observesDST,
		DaylightOffset:   fmt.Sprintf("%+03d:%02d", offset/3600, abs(offset%3600)/60),
		TimezoneLocation: e.g.loc.String(),
	}}
}

func buildVpnConnection(e *event, r *exportv1.LogRecord) {
	kind := pick(e.rng, []string{"IPSec", "SSL VPN", "L2TP"})
	m := &exportv1.VpnConnectionLog{
		VpnGateway:     pick(e.rng, vpnGateways),
		ConnectionName: "remote-" + e.client.user,
		VpnAction:      pick(e.rng, []string{"connect", "disconnect", "rekey"}),
		VpnType:        kind,
		Srcip:          publicServer(e.rng),
		Dstip:          e.g.wanIP,
		AssignedIp:     fmt.Sprintf("10.99.0.%d", 2+e.rng.IntN(250)),
		VpnUser:        e.client.user,
		ClientHost:     e.client.host,
		VpnInbound:     e.bytes(5_000_000),
		VpnOutbound:    e.bytes(800_000),
		VpnUptime:      int64(e.rng.IntN(28_800)),
		PacketStatus:   "ok",
		Connection:     "remote-access",
		FailCount:      int32(e.rng.IntN(2)),
	}
	switch kind {
	case "SSL VPN":
		m.SslAppName = "SecuExtender"
	case "IPSec":
		m.IkeVersion = "IKEv2"
	}
	r.Category = &exportv1.LogRecord_VpnConnection{VpnConnection: m}
}

func buildInterfaceStatistic(e *event, r *exportv1.LogRecord) {
	status := "up"
	if e.oneIn(40) {
		status = "down"
	}
	r.Category = &exportv1.LogRecord_InterfaceStatistic{InterfaceStatistic: &exportv1.InterfaceStatisticLog{
		InterfaceName: pick(e.rng, interfaces), InterfaceStatus: status,
		TxPkt: e.bytes(1_000_000), RxPkt: e.bytes(2_000_000), Collision: int64(e.rng.IntN(3)),
		TxRate: e.bytes(20_000), RxRate: e.bytes(60_000),
	}}
}

func buildUserEvent(e *event, r *exportv1.LogRecord) {
	m := &exportv1.UserEventLog{
		UserType:    pick(e.rng, []string{"user", "user", "admin", "guest"}),
		User:        e.client.user,
		ClientMac:   e.client.mac,
		LoginType:   pick(e.rng, []string{"web", "ssh", "vpn", "console"}),
		LoginAction: pick(e.rng, []string{"login", "logout", "login failed"}),
		Srcip:       e.client.ip,
		Dstip:       "192.168.1.1",
	}
	if e.oneIn(10) {
		m.RefUser, m.RefUserType, m.RefUserChangedValue = pick(e.rng, users), "user", "password changed"
	}
	r.Category = &exportv1.LogRecord_UserEvent{UserEvent: m}
}

func buildApplicationTraffic(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_ApplicationTraffic{ApplicationTraffic: &exportv1.ApplicationTrafficLog{
		AppName: pick(e.rng, applications).name, ForwardSize: e.bytes(50_000_000), DropSize: e.bytes(20_000),
		RejectSize: e.bytes(5_000), AutoConn: int64(e.rng.IntN(400)), Inbound: e.bytes(40_000_000), Outbound: e.bytes(6_000_000),
	}}
}

func buildAntiBotnet(e *event, r *exportv1.LogRecord) {
	b := pick(e.rng, botnets)
	m := &exportv1.AntiBotnetLog{BotnetAction: "block", BotnetName: b.name, BotnetUrl: "http://" + b.host + "/gate.php", BotnetCategory: b.category}
	keys := e.outbound(80)
	keys.dstip = hostileAddress(e.rng)
	setClientKeys(m.ProtoReflect(), keys)
	r.Category = &exportv1.LogRecord_AntiBotnet{AntiBotnet: m}
}

func buildSandbox(e *event, r *exportv1.LogRecord) {
	s := pick(e.rng, malwareSamples)
	score := int32(e.rng.IntN(101))
	judge, action := "clean", "pass"
	switch {
	case score >= 80:
		judge, action = "malicious", "destroy"
	case score >= 50:
		judge, action = "suspicious", "quarantine"
	}
	m := &exportv1.SandboxLog{
		SandboxProtocol: pick(e.rng, []string{"HTTP", "SMTP", "FTP"}),
		FileName:        s.file, FileType: pick(e.rng, fileTypes),
		HashType: "SHA256", HashValue: hexString(e.rng, 64),
		SandboxScore: score, SandboxAction: action, SandboxActionSetting: "destroy malicious, quarantine suspicious",
		Judge: judge, RiskLevel: pick(e.rng, riskLevels),
		SandboxUuid:      fmt.Sprintf("%s-%s-%s-%s-%s", hexString(e.rng, 8), hexString(e.rng, 4), hexString(e.rng, 4), hexString(e.rng, 4), hexString(e.rng, 12)),
		SandboxFileId:    hexString(e.rng, 32),
		QueryDcTimestamp: e.at.Unix(),
	}
	if m.SandboxProtocol == "SMTP" {
		m.MailFrom, m.MailTo, m.MailSubject = pick(e.rng, mailSenders), e.client.user+"@acme-corp.example", pick(e.rng, mailSubjects)
	} else {
		m.SandboxUrl = "http://downloads." + strings.TrimPrefix(pick(e.rng, websites).host, "www.") + "/" + s.file
	}
	setClientKeys(m.ProtoReflect(), e.outbound(80))
	r.Category = &exportv1.LogRecord_Sandbox{Sandbox: m}
}

func buildSandboxStatistics(e *event, r *exportv1.LogRecord) {
	clean, processed := int64(e.rng.IntN(400)), int64(e.rng.IntN(500))
	r.Category = &exportv1.LogRecord_SandboxStatistics{SandboxStatistics: &exportv1.SandboxStatisticsLog{
		MaliciousCount: int64(e.rng.IntN(5)), SuspiciousCount: int64(e.rng.IntN(12)), CleanCount: clean,
		ProcessingCount: int64(e.rng.IntN(4)), ProcessedCount: processed + clean, OtherCount: int64(e.rng.IntN(10)),
	}}
}

func buildDeviceEvent(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_DeviceEvent{DeviceEvent: &exportv1.DeviceEventLog{DeviceEventType: pick(e.rng, deviceEvents)}}
}

func buildSystemEvent(e *event, r *exportv1.LogRecord) {
	r.Category = &exportv1.LogRecord_SystemEvent{SystemEvent: &exportv1.SystemEventLog{SystemEventType: pick(e.rng, systemEvents)}}
}

func buildReputation(e *event, r *exportv1.LogRecord) {
	risky := hostileAddress(e.rng)
	m := &exportv1.ReputationLog{
		Action: pick(e.rng, []string{"block", "block", "log"}), RiskLevel: pick(e.rng, riskLevels[1:]),
		CategoryName:  pick(e.rng, []string{"Spam Sources", "Scanners", "Botnets", "Tor Proxies", "Brute Force"}),
		HitCategories: pick(e.rng, []string{"Scanners", "Scanners,Brute Force", "Botnets,Spam Sources", "Tor Proxies"}),
		RiskScore:     int32(60 + e.rng.IntN(41)), RiskIp: risky,
	}
	keys := e.inbound(pick(e.rng, []uint32{22, 443, 3389}))
	keys.srcip = risky
	setClientKeys(m.ProtoReflect(), keys)
	r.Category = &exportv1.LogRecord_Reputation{Reputation: m}
}

func buildApplicationUsage(e *event, r *exportv1.LogRecord) {
	app := pick(e.rng, applications)
	r.Category = &exportv1.LogRecord_ApplicationUsage{ApplicationUsage: &exportv1.ApplicationUsageLog{
		AppName: app.name, Srcip: e.client.ip, Srcport: ephemeralPort(e.rng), Dstip: publicServer(e.rng), Dstport: portOf(app.name),
		AppProtocol: app.protocol, EstablishTimestamp: e.at.Add(-time.Duration(e.rng.IntN(3600)) * time.Second).Unix(),
		SendIncreaseBytes: e.bytes(40_000), ReceiveIncreaseBytes: e.bytes(400_000),
	}}
}

// dnsEvent returns the common values of both DNS filter categories.
func (e *event) dnsEvent() (category, queryType, fqdn, action string) {
	category = pick(e.rng, dnsCategories)
	fqdn = pick(e.rng, websites).host
	if category == "Botnet C&C" {
		fqdn = pick(e.rng, botnets).host
	}
	action = "block"
	if category == "Ads" || category == "Tracking" || category == "Social Networking" {
		action = pick(e.rng, []string{"pass", "redirect"})
	}
	return category, pick(e.rng, dnsQueryTypes), fqdn, action
}

func (e *event) dnsKeys() clientKeys {
	keys := e.outbound(53)
	keys.dstip = pick(e.rng, []string{"192.168.1.1", "1.1.1.1", "8.8.8.8", "9.9.9.9"})
	return keys
}

func buildDNSFilter(e *event, r *exportv1.LogRecord) {
	cat, qt, fqdn, action := e.dnsEvent()
	m := &exportv1.DnsFilterLog{CategoryName: cat, QueryType: qt, Fqdn: fqdn, MatchRuleNumber: e.rule(), MatchRuleAction: action}
	setClientKeys(m.ProtoReflect(), e.dnsKeys())
	r.Category = &exportv1.LogRecord_DnsFilter{DnsFilter: m}
}

func buildDNSContentFilter(e *event, r *exportv1.LogRecord) {
	cat, qt, fqdn, action := e.dnsEvent()
	m := &exportv1.DnsContentFilterLog{CategoryName: cat, QueryType: qt, Fqdn: fqdn, MatchRuleNumber: e.rule(), MatchRuleAction: action}
	setClientKeys(m.ProtoReflect(), e.dnsKeys())
	r.Category = &exportv1.LogRecord_DnsContentFilter{DnsContentFilter: m}
}

func buildDutScanStatistics(e *event, r *exportv1.LogRecord) {
	n := func(scale int) int64 { return int64(e.rng.IntN(scale)) }
	r.Category = &exportv1.LogRecord_DutScanStatistics{DutScanStatistics: &exportv1.DutScanStatisticsLog{
		AntiVirus: n(50), Idp: n(200), AntiSpam: n(80), ContentFilter: n(500), UrlThreatFilter: n(60),
		Sandboxing: n(20), IpReputation: n(300), DnsFilter: n(400), DnsContentFilter: n(150),
	}}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
