package simulate

// The vocabularies below are what a small office firewall's logs look
// like. None of them contains a double quote: only EscapingSample does.

type application struct{ category, name, protocol string }

var applications = []application{
	{"Web", "HTTPS", "TCP"}, {"Web", "HTTP", "TCP"}, {"Web", "QUIC", "UDP"},
	{"Collaboration", "Microsoft Teams", "TCP"}, {"Collaboration", "Zoom", "UDP"},
	{"Collaboration", "Slack", "TCP"}, {"Streaming Media", "YouTube", "UDP"},
	{"Streaming Media", "Netflix", "TCP"}, {"Streaming Media", "Spotify", "TCP"},
	{"Social Networking", "Facebook", "TCP"}, {"Social Networking", "LinkedIn", "TCP"},
	{"Social Networking", "Instagram", "TCP"}, {"File Transfer", "Dropbox", "TCP"},
	{"File Transfer", "OneDrive", "TCP"}, {"File Transfer", "FTP", "TCP"},
	{"Email", "Microsoft Outlook", "TCP"}, {"Email", "Gmail", "TCP"},
	{"Network Service", "DNS", "UDP"}, {"Network Service", "NTP", "UDP"},
	{"Remote Access", "SSH", "TCP"}, {"Remote Access", "RDP", "TCP"},
	{"Software Update", "Windows Update", "TCP"}, {"Software Update", "Apple Update", "TCP"},
	{"P2P", "BitTorrent", "UDP"}, {"Games", "Steam", "UDP"},
}

var wellKnownPorts = map[string]uint32{
	"HTTPS": 443, "HTTP": 80, "QUIC": 443, "DNS": 53, "NTP": 123, "SSH": 22, "RDP": 3389,
	"FTP": 21, "Microsoft Outlook": 443, "Gmail": 993, "Zoom": 8801, "BitTorrent": 6881, "Steam": 27015,
}

type site struct{ category, host string }

var websites = []site{
	{"Search Engines/Portals", "www.google.com"}, {"Search Engines/Portals", "www.bing.com"},
	{"News/Media", "www.bbc.co.uk"}, {"News/Media", "www.reuters.com"},
	{"Business", "www.salesforce.com"}, {"Business", "outlook.office365.com"},
	{"Shopping", "www.amazon.com"}, {"Shopping", "www.ebay.com"},
	{"Social Networking", "www.facebook.com"}, {"Social Networking", "www.linkedin.com"},
	{"Streaming Media", "www.youtube.com"}, {"Streaming Media", "www.netflix.com"},
	{"Information Technology", "github.com"}, {"Information Technology", "stackoverflow.com"},
	{"Gambling", "casino-royale-online.bet"}, {"Malicious Sites", "login-secure-verify.top"},
	{"Phishing", "paypa1-account-check.xyz"}, {"Adult Content", "adult-content.example"},
	{"Games", "store.steampowered.com"}, {"Travel", "www.booking.com"},
}

type signature struct {
	id                   int64
	name, kind, severity string
}

var signatures = []signature{
	{1054207, "WEB-ATTACKS SQL Injection attempt -6", "sql-injection", "high"},
	{1131563, "WEB-PHP phpMyAdmin setup.php code injection", "web-attack", "high"},
	{1119842, "EXPLOIT Apache Log4j2 JNDI injection (CVE-2021-44228)", "exploit", "very-high"},
	{1133021, "SCAN Nmap OS fingerprint probe", "scan", "low"},
	{1052001, "DOS TCP SYN flood", "dos", "medium"},
	{1123456, "BACKDOOR Cobalt Strike beacon", "backdoor", "very-high"},
	{1067340, "WEB-MISC directory traversal ../", "web-attack", "medium"},
	{1090016, "POLICY TOR exit node connection", "policy", "low"},
	{1101234, "EXPLOIT SMBv1 EternalBlue", "exploit", "very-high"},
	{1087777, "BRUTE-FORCE SSH login attempts", "brute-force", "medium"},
}

type malware struct{ name, file string }

var malwareSamples = []malware{
	{"Trojan.GenericKD.46584792", "invoice_0623.pdf.exe"},
	{"Win32.Emotet.AZ", "Scan_2024_06.doc"},
	{"JS.Downloader.Agent", "update.js"},
	{"EICAR-Test-File", "eicar.com"},
	{"Ransom.WannaCry", "tasksche.exe"},
	{"Adware.BrowseFox", "setup_free_player.msi"},
	{"Backdoor.AsyncRAT", "photo_2024.scr"},
}

var botnets = []struct{ name, host, category string }{
	{"Mirai", "cnc.mirai-botnet.example", "IoT Botnet"},
	{"Emotet", "emotet-c2.example", "Banking Trojan C&C"},
	{"QakBot", "qbot-relay.example", "Banking Trojan C&C"},
	{"TrickBot", "trickbot-gate.example", "Trojan C&C"},
	{"Zeus", "zeus-panel.example", "Banking Trojan C&C"},
}

var dnsCategories = []string{"Malicious", "Phishing", "Botnet C&C", "Ads", "Tracking", "Gambling", "Social Networking", "Newly Registered Domain"}

var dnsQueryTypes = []string{"A", "AAAA", "HTTPS", "MX", "TXT", "CNAME"}

var users = []string{"alice", "bob", "carol.smith", "dave", "erin", "frank.miller", "grace", "heidi", "ivan", "judy", "guest", "admin"}

var mailSubjects = []string{
	"Invoice for June", "Your parcel could not be delivered", "Quarterly report Q2",
	"Password expiry notice", "Meeting notes - project kickoff", "Re: purchase order 4711",
	"Urgent: wire transfer request", "Welcome to the team",
}

var mailSenders = []string{
	"billing@supplier-example.com", "no-reply@parcel-tracking.example", "ceo@acme-corp.example",
	"it-support@acme-corp.example", "newsletter@shop.example", "hr@acme-corp.example",
}

type clientKind struct{ category, kind, os, osVersion, manufacturer, oui string }

var clientKinds = []clientKind{
	{"Computer", "Laptop", "Windows", "11 23H2", "Dell", "F8:BC:12"},
	{"Computer", "Desktop", "Windows", "10 22H2", "HP", "3C:D9:2B"},
	{"Computer", "Laptop", "macOS", "14.5", "Apple", "3C:22:FB"},
	{"Mobile", "Smartphone", "iOS", "17.5", "Apple", "F0:18:98"},
	{"Mobile", "Smartphone", "Android", "14", "Samsung", "8C:71:F8"},
	{"Mobile", "Tablet", "iPadOS", "17.5", "Apple", "AC:1F:74"},
	{"IoT", "IP Camera", "Linux", "4.9", "Hikvision", "44:19:B6"},
	{"IoT", "Printer", "Embedded", "", "Brother", "30:05:5C"},
	{"Server", "NAS", "Linux", "5.10", "Synology", "00:11:32"},
}

// publicPrefixes are first octets pairs of large, real server networks
// (Google, Cloudflare, Microsoft, Fastly, AWS, Akamai, GitHub).
var publicPrefixes = [][2]byte{{142, 250}, {104, 16}, {13, 107}, {151, 101}, {52, 95}, {23, 52}, {185, 199}, {172, 217}}

// hostilePrefixes are first octets of networks attacks come from in the samples.
var hostilePrefixes = [][2]byte{{45, 155}, {185, 220}, {91, 240}, {194, 26}, {103, 145}, {5, 188}}

var (
	interfaces    = []string{"wan1", "wan2", "lan1", "lan2", "dmz", "opt"}
	apNames       = []string{"AP-Lobby", "AP-Office-1F", "AP-Office-2F", "AP-Meeting", "AP-Warehouse"}
	ssids         = []string{"Acme-Corp", "Acme-Guest", "Acme-IoT"}
	apReasons     = []string{"Station associated", "Station disassociated", "Roamed to another AP", "Authentication failed", "Idle timeout"}
	vpnGateways   = []string{"HQ-GW", "Branch-Berlin", "Branch-Lyon"}
	services      = []string{"DHCP Server", "DNS Proxy", "NTP Client", "Signature Update", "SecuReporter Agent", "Web Server"}
	deviceEvents  = []string{"Firmware upgrade completed", "Configuration saved", "WAN link down", "WAN link up", "Reboot requested", "License renewed"}
	systemEvents  = []string{"CPU usage above 90%", "Memory usage back to normal", "Session table 80% full", "Fan speed normal", "Scheduled backup done", "Admin login from console"}
	fileTypes     = []string{"exe", "pdf", "docx", "xlsm", "zip", "js"}
	riskLevels    = []string{"low", "medium", "high", "critical"}
	firmwareBuild = []string{"V5.38(ABZH.0)", "V5.37(ABZH.2)", "V5.39(ABZH.0)b2"}
)
