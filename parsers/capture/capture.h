/* capture.h - packet captures (pcap, pcapng, gzipped) as a pull iterator of connection events.
 *
 *   struct capture *c = capture_open(in, &diag, err, sizeof err);
 *   while ((st = capture_next(c, &ev)) == CAP_EVENT) use(&ev);
 *   if (st == CAP_FATAL) report(capture_error(c));
 *   capture_close(c);
 *
 * Layers, one file each under parsers/capture/: link.c (Ethernet + 802.1Q/QinQ, Linux SLL/SLL2,
 * BSD NULL/LOOP, raw IP) -> ip.c (IPv4 RFC 791, IPv6 RFC 8200) -> tcp.c (RFC 9293 header and
 * reassembly) -> conn.c (connection table, protocol detection) -> http1.c (RFC 9112) |
 * websocket.c (RFC 6455) | tls.c (RFC 8446 / 5246 handshake records) -> event.c (ordering,
 * mapping to struct sample).
 *
 * Ownership: capture_open borrows the input (close the capture before the input).  Every string
 * in an event is borrowed until the next capture_next() or capture_close(); copy what you keep.
 * Events come out ordered by completion time (the highest packet time seen when the event
 * completed, so a capture whose timestamps step backwards a little still yields a
 * non-decreasing sequence), ties broken by connection id and then by order within the
 * connection.  A jump back beyond CAPTURE_BACKSTEP_S starts a new time segment
 * (counters.segments): the events of the one before are all out first, then the times may
 * restart lower, once per segment.
 */
#ifndef JTLSCOPE_PARSERS_CAPTURE_CAPTURE_H
#define JTLSCOPE_PARSERS_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/diag.h"
#include "common/util.h"
#include "parsers/input.h"
#include "parsers/ratelimit.h"
#include "parsers/sample.h"

/* Named limits.  Exceeding one is counted (struct capture_counters.limit[]) and degrades the
 * affected record, never the whole capture. */
#define CAPTURE_MAX_CONNS 65536u            /* connections tracked at once (LRU evicted beyond) */
#define CAPTURE_MAX_OOO_BYTES (1u << 20)    /* out-of-order bytes buffered per connection */
#define CAPTURE_MAX_OOO_SEGS 2048u          /* out-of-order segments buffered per connection */
#define CAPTURE_MAX_HEADER (64u << 10)      /* one HTTP header block, or protocol-detection data */
#define CAPTURE_MAX_PENDING 256u            /* requests awaiting a response on one connection */
#define CAPTURE_MAX_TARGET 4096u            /* request-target bytes kept */
#define CAPTURE_MAX_HOST 255u               /* Host header / SNI bytes kept */
#define CAPTURE_MAX_METHOD 32u              /* method token length */
#define CAPTURE_MAX_REASON 128u             /* reason phrase bytes kept */
#define CAPTURE_MAX_RAW_HEADER 128u         /* Retry-After raw value bytes kept */
#define CAPTURE_BODY_KEEP 4096u             /* response body prefix kept (identity encoding) */
#define CAPTURE_WS_PAYLOAD_KEEP 4096u       /* WebSocket payload prefix kept per frame/message */
#define CAPTURE_WS_MAX_PENDING 256u         /* client messages awaiting an answer on one conn */
#define CAPTURE_WS_INFLATE_MAX (16u << 20)  /* inflated bytes of one permessage-deflate message */
#define CAPTURE_WS_MAX_INFLATERS 4096u      /* zlib streams (32 KB windows) alive at once */
#define CAPTURE_MAX_TLS_HELLO (64u << 10)   /* ClientHello/ServerHello bytes reassembled */
#define CAPTURE_MAX_TLS_SIZES 4096u         /* distinct encrypted response sizes kept */
#define CAPTURE_TLS_RUN_QUIET_MS 2000       /* an encrypted answer is complete after this silence */
#define CAPTURE_MAX_IPV6_EXT 8u             /* IPv6 extension headers walked */
#define CAPTURE_MAX_VLAN_TAGS 4u            /* stacked 802.1Q/802.1ad tags */
#define CAPTURE_IDLE_TIMEOUT_S 300          /* an open connection silent this long is evicted */
#define CAPTURE_LINGER_S 10                 /* a closed connection absorbs stray packets this long */
#define CAPTURE_BACKSTEP_S 2                /* stamps going back further start a new segment */

enum capture_status {
	CAP_EVENT = 0,
	CAP_END,
	CAP_FATAL,
};

enum capture_event_kind {
	CAP_EV_CONN_OPEN = 0,   /* first packet (SYN) or, without a SYN, once roles are known */
	CAP_EV_CONN_CLOSE,      /* FIN/RST, idle, limit, port reuse or end of capture; with stats */
	CAP_EV_HTTP,            /* one request/response exchange (or what was seen of it) */
	CAP_EV_WS_FRAME,        /* one WebSocket frame */
	CAP_EV_TLS_HANDSHAKE,   /* TLS hellos seen; at handshake end, or at close if unfinished */
	CAP_EV_TLS_APPDATA,     /* one application_data record after the handshake */
	CAP_EV_TCP,             /* packet-level note; only with capture_set_tcp_events() */
	CAP_EV_WS_EXCHANGE,     /* a client WebSocket message and the server message answering it */
	CAP_EV_TLS_EXCHANGE,    /* encrypted: a run of client records and the server run after it */
	CAP_EV__COUNT
};

enum capture_proto {
	CAP_PROTO_NONE = 0,     /* no payload seen */
	CAP_PROTO_HTTP,
	CAP_PROTO_WEBSOCKET,    /* HTTP upgraded to WebSocket */
	CAP_PROTO_TLS,
	CAP_PROTO_OTHER,
};

/* Why a packet was not used. */
enum capture_skip {
	CAP_SKIP_TRUNCATED = 0, /* captured bytes end inside a link, IP or TCP header */
	CAP_SKIP_NOT_IP,        /* ARP, LLDP, 802.3 LLC, ... */
	CAP_SKIP_NOT_TCP,       /* UDP, ICMP, ESP, ... */
	CAP_SKIP_FRAGMENT,      /* IPv4/IPv6 fragment: counted, not reassembled */
	CAP_SKIP_BAD_HEADER,    /* malformed IP or TCP header */
	CAP_SKIP_EXT_LIMIT,     /* more than CAPTURE_MAX_IPV6_EXT IPv6 extension headers */
	CAP_SKIP_VLAN_LIMIT,    /* more than CAPTURE_MAX_VLAN_TAGS tags */
	CAP_SKIP__COUNT
};

/* Which named limit was exceeded. */
enum capture_limit {
	CAP_LIM_CONNS = 0,      /* CAPTURE_MAX_CONNS: least recently used connection evicted */
	CAP_LIM_OOO,            /* CAPTURE_MAX_OOO_BYTES/SEGS: waiting data declared a hole */
	CAP_LIM_HEADER,         /* CAPTURE_MAX_HEADER: header block or detection data too long */
	CAP_LIM_PENDING,        /* CAPTURE_MAX_PENDING: oldest unanswered request given up */
	CAP_LIM_TARGET,         /* CAPTURE_MAX_TARGET: request-target truncated */
	CAP_LIM_BODY,           /* CAPTURE_BODY_KEEP: response body prefix truncated */
	CAP_LIM_WS_PAYLOAD,     /* CAPTURE_WS_PAYLOAD_KEEP: frame payload prefix truncated */
	CAP_LIM_TLS_HELLO,      /* CAPTURE_MAX_TLS_HELLO */
	CAP_LIM_WS_INFLATE,     /* CAPTURE_WS_INFLATE_MAX / _MAX_INFLATERS: message not inflated */
	CAP_LIM__COUNT
};

/* Exchange flags; any of CAP_HTTP_INCOMPLETE_MASK makes the exchange incomplete. */
enum capture_http_flag {
	CAP_HTTP_NO_REQUEST = 1u << 0,    /* response without a captured request */
	CAP_HTTP_NO_RESPONSE = 1u << 1,   /* request never answered in the capture */
	CAP_HTTP_REQ_HOLE = 1u << 2,      /* bytes of the request were not captured */
	CAP_HTTP_RESP_HOLE = 1u << 3,     /* bytes of the response were not captured */
	CAP_HTTP_UNFINISHED = 1u << 4,    /* the capture/connection ended inside the response */
	CAP_HTTP_LIMIT = 1u << 5,         /* a named limit cut the exchange short */
	CAP_HTTP_CHUNKED = 1u << 8,       /* response body was chunked */
	CAP_HTTP_CLOSE_DELIMITED = 1u << 9,
	CAP_HTTP_UPGRADE = 1u << 10,      /* 101 Switching Protocols to WebSocket */
	CAP_HTTP_PIPELINED = 1u << 11,    /* request sent before the previous response completed */
	CAP_HTTP_BODY_TRUNCATED = 1u << 12, /* body prefix shorter than the body */
};
#define CAP_HTTP_INCOMPLETE_MASK 0x3fu

enum capture_tcp_note {
	CAP_TCP_SYN = 0,
	CAP_TCP_SYNACK,
	CAP_TCP_ESTABLISHED,
	CAP_TCP_RETRANSMIT,
	CAP_TCP_OUT_OF_ORDER,
	CAP_TCP_HOLE,           /* bytes never captured (len = bytes) */
	CAP_TCP_ZERO_WINDOW,
	CAP_TCP_FIN,
	CAP_TCP_RST,
};

enum capture_close_reason {
	CAP_CLOSE_NONE = 0,     /* still open (in events other than CONN_CLOSE) */
	CAP_CLOSE_FIN,          /* both sides sent FIN */
	CAP_CLOSE_RST,
	CAP_CLOSE_IDLE,         /* CAPTURE_IDLE_TIMEOUT_S without a packet */
	CAP_CLOSE_LIMIT,        /* evicted: CAPTURE_MAX_CONNS */
	CAP_CLOSE_REUSED,       /* a new SYN reused the 4-tuple */
	CAP_CLOSE_END,          /* end of capture */
};

/* Direction index: 0 = client to server, 1 = server to client. */
#define CAP_C2S 0
#define CAP_S2C 1
/* fin_by / rst_by bits */
#define CAP_BY_CLIENT 1u
#define CAP_BY_SERVER 2u

struct capture_conn {
	uint64_t id;                 /* 1, 2, ... in order of first packet */
	struct strref name;          /* "c3 10.0.0.1:5555>10.0.0.2:80" ("[::1]:80" for IPv6) */
	struct strref client, server; /* addresses as text */
	uint16_t client_port, server_port;
	bool ipv6;
	bool saw_syn;                /* false: began before the capture; roles were guessed */
	enum capture_proto proto;
};

/* Times are epoch nanoseconds; 0 = not seen. */
struct capture_conn_stats {
	int64_t first_ns, last_ns;
	int64_t syn_ns, synack_ns, established_ns;   /* established = client's ACK of the SYN-ACK */
	int64_t rtt_ns;              /* SYN -> SYN-ACK (0 if either missing) */
	int64_t handshake_ns;        /* SYN -> ACK (0 if unknown) */
	int64_t fin_ns[2];           /* per direction */
	int64_t rst_ns;
	unsigned fin_by, rst_by;     /* CAP_BY_* bits */
	enum capture_close_reason close_reason;
	uint64_t packets[2], bytes[2];              /* per direction; bytes = TCP payload (wire) */
	uint64_t retransmissions, out_of_order, overlaps, holes, hole_bytes, bytes_missing;
	uint64_t zero_windows;
	uint64_t exchanges, incomplete, ws_frames, tls_records;
};

struct capture_http {
	uint64_t seq;                /* 1-based index of the exchange on its connection */
	struct strref method, target, host, reason, retry_after; /* absent: p == NULL */
	struct strref label;         /* "METHOD host/path" */
	struct strref url;           /* "http://host[:port]/target" */
	struct strref body;          /* response body prefix (identity encoding only) */
	struct strref code;          /* status as text ("429"); empty when no response */
	int status;                  /* final status; 0 = no response */
	int req_version, resp_version; /* 10, 11; 9 = no version on the line; 0 = none */
	unsigned flags;              /* enum capture_http_flag */
	bool incomplete;             /* flags & CAP_HTTP_INCOMPLETE_MASK */
	unsigned interim;            /* 1xx responses before the final one */
	int64_t req_first_ns, req_last_ns, resp_first_ns, resp_last_ns, interim_ns;
	int64_t connect_ns;          /* TCP handshake time, first exchange on a SYN'd conn; else 0 */
	uint64_t req_header_bytes, req_body_bytes, resp_header_bytes, resp_body_bytes;
	struct ratelimit rl;         /* every response header fed to ratelimit_header() */
};

struct capture_ws {
	int dir;                     /* CAP_C2S or CAP_S2C */
	bool fin, masked, compressed; /* compressed: RSV1 (permessage-deflate) */
	bool inflated;               /* compressed, and message holds the inflated text */
	unsigned opcode;             /* as on the wire (0 = continuation) */
	unsigned msg_opcode;         /* opcode of the message this frame belongs to */
	uint64_t length;             /* payload length from the header */
	struct strref payload;       /* unmasked payload prefix (<= CAPTURE_WS_PAYLOAD_KEEP) */
	struct strref message;       /* text/binary message prefix across fragments (on fin) */
	int close_code;              /* close frames: status code, -1 if none */
	struct strref close_reason;
	struct strref host, path;    /* from the upgrade request (empty when not seen) */
	struct strref label, url;    /* "WS host/path", "ws://host/path" */
	int64_t first_ns, last_ns;
	bool incomplete;             /* bytes of the frame were not captured */
};

/* A WebSocket message exchange: a client data message (the request) and the server data
 * message that answers it (see docs/captures.md, "WebSocket message exchanges").  Server
 * messages that answer nothing are pushes: counted, never exchanges. */
struct capture_ws_exchange {
	uint64_t seq;                /* 1-based index of the exchange on its connection */
	bool answered;               /* false: no answer before the connection or capture ended */
	bool by_id;                  /* paired by a correlation id present in both messages */
	bool compressed;             /* either message had RSV1 set (payload not inflated) */
	bool incomplete;             /* bytes of either message were not captured */
	unsigned req_opcode, resp_opcode; /* 1 text, 2 binary */
	int status;                  /* in-band status of the answer (JSON "code"/"status"), 0 none */
	uint64_t req_length, resp_length;
	int64_t req_first_ns, req_last_ns, resp_first_ns, resp_last_ns;
	struct strref request, response; /* message prefixes (<= CAPTURE_WS_PAYLOAD_KEEP) */
	struct strref code;          /* "WS" (in-band status is in .status and the text) */
	struct strref inband_class;  /* the answer's top-level "class" (Genesys) or string "error" */
	struct strref host, path, label, url;
	struct ratelimit rl;         /* in-band retry hint of the answer (RL_INBAND) */
};

struct capture_tls {
	struct strref sni, alpn;     /* alpn: offered list "h2,http/1.1"; selected in alpn_selected */
	struct strref alpn_selected;
	unsigned client_version;     /* highest offered (supported_versions or legacy) e.g. 0x0304 */
	unsigned version;            /* negotiated, 0 if no ServerHello */
	int64_t client_hello_ns, server_hello_ns, done_ns; /* done = handshake end, 0 if not seen */
	bool complete;
};

/* An exchange rebuilt from encrypted records (no key): a run of client application_data records
 * followed by the server's run.  Strictly alternating HTTP/1.1 keep-alive gives one per request;
 * see docs/captures.md for where this cannot hold (HTTP/2, pipelining, TLS 1.3 tickets). */
struct capture_tls_exchange {
	uint64_t seq;                /* 1-based index on its connection */
	bool answered;               /* a server run followed */
	bool h2;                     /* ALPN selected h2: runs are not requests */
	unsigned version;            /* negotiated TLS version, 0 if unknown */
	int64_t req_first_ns, req_last_ns, resp_first_ns, resp_last_ns;
	uint32_t req_records, resp_records;
	uint64_t req_bytes, resp_bytes; /* record payload bytes (ciphertext, with tags) */
	int64_t connect_ns;          /* TCP + TLS handshake (SYN -> handshake end), first exchange */
	struct strref sni;           /* empty when the client sent none */
	struct strref label, url;    /* "TLS host:port", "https://host:port/" (host = SNI or address) */
};

struct capture_tls_record {
	int dir;
	unsigned type;               /* 23 application_data */
	uint32_t length;
	int64_t ns;
};

struct capture_tcp {
	enum capture_tcp_note note;
	int dir;
	uint64_t length;             /* payload bytes (HOLE: missing bytes) */
	int64_t ns;
};

struct capture_event {
	enum capture_event_kind kind;
	int64_t ts_ns;               /* completion time (ordering key) */
	uint64_t seq;                /* order of creation (tie breaker) */
	struct capture_conn conn;
	struct capture_conn_stats stats;  /* snapshot; final in CAP_EV_CONN_CLOSE */
	union {
		struct capture_http http;
		struct capture_ws ws;
		struct capture_ws_exchange wsx;
		struct capture_tls tls;
		struct capture_tls_exchange tlsx;
		struct capture_tls_record rec;
		struct capture_tcp tcp;
	} u;
};

struct capture_counters {
	uint64_t packets, bytes;           /* every record read; bytes = captured bytes */
	uint64_t wire_bytes;               /* original lengths */
	uint64_t skipped[CAP_SKIP__COUNT];
	uint64_t truncated_packets;        /* caplen < wire length */
	uint64_t bytes_missing;            /* TCP payload bytes cut by the snaplen */
	uint64_t ip_fragments;
	uint64_t vlan_packets;
	uint64_t connections, connections_no_syn;
	uint64_t exchanges, requests, responses, interim_responses, incomplete_exchanges;
	uint64_t websocket_frames, websocket_messages;
	uint64_t websocket_exchanges;      /* client messages (answered or not) */
	uint64_t websocket_unanswered;     /* of those, never answered in the capture */
	uint64_t websocket_pushes;         /* server messages that answered no client message */
	uint64_t websocket_inflated;       /* permessage-deflate messages inflated */
	uint64_t websocket_inflate_failed; /* compressed messages not inflated (see docs/captures.md) */
	uint64_t tls_connections, tls_appdata_records;
	uint64_t tls_exchanges;            /* encrypted exchanges from record runs */
	uint64_t tls_encrypted;            /* TLS connections whose content was not decrypted */
	uint64_t tls_server_first;         /* server records before any client record (tickets...) */
	uint64_t tls_close_alerts;         /* a last alert-sized client record (close_notify) */
	uint64_t tls_tickets;              /* TLS 1.3 ticket-like records dropped from a first answer */
	uint64_t tls_decrypted;            /* TLS connections decrypted with a key log */
	uint64_t tls_no_keys;              /* TLS handshakes whose client random is not in the key log */
	uint64_t tls_unsupported;          /* keys found, cipher suite not supported (listed in docs) */
	uint64_t tls_decrypt_failed;       /* records that failed authentication (wrong keys, damage) */
	uint64_t tls_sizes_dropped;        /* response sizes beyond CAPTURE_MAX_TLS_SIZES */
	uint64_t retransmissions, out_of_order, overlaps, holes, hole_bytes, zero_windows;
	uint64_t resets, idle_evictions, stray_packets;
	uint64_t reused_tuples;            /* new connections on the tuple of a closed/reset one */
	uint64_t segments;                 /* stretches of time: 1, plus one per jump back in stamps
	                                    * beyond CAPTURE_BACKSTEP_S (files concatenated out of order) */
	uint64_t limit[CAP_LIM__COUNT];
	bool truncated_file;               /* the file ended inside a packet record */
};

struct capture;

/* Open a capture on an input (gzip handled by the input).  NULL and a one-line message naming
 * the file in err on a truncated header, garbage or an unsupported link type. */
struct capture *capture_open(struct input *in, struct diag *d, char *err, size_t errlen);
/* Next event; CAP_END when the capture is exhausted; CAP_FATAL: see capture_error(). */
enum capture_status capture_next(struct capture *c, struct capture_event *ev);
const char *capture_error(const struct capture *c);
void capture_close(struct capture *c);

/* Also emit CAP_EV_TCP notes (SYN, retransmissions, holes, FIN, RST...): for timelines. */
void capture_set_tcp_events(struct capture *c, bool on);

const struct capture_counters *capture_counters(const struct capture *c);
/* Iterate final status codes seen in ascending order: *iter starts at 0; false at the end. */
bool capture_code_next(const struct capture *c, unsigned *iter, int *status, uint64_t *count);
/* Size classes of encrypted responses (bytes of the server run): sizes within 2 % (at least 16
 * bytes) of their neighbour form one class.  *iter starts at 0; false at the end. */
bool capture_tls_size_next(struct capture *c, unsigned *iter, uint64_t *lo, uint64_t *hi,
			   uint64_t *count);
/* Time of the first packet (epoch ns), 0 before any packet. */
int64_t capture_start_ns(const struct capture *c);
/* Link type name ("EN10MB", "LINUX_SLL2", ...). */
const char *capture_linktype_name(const struct capture *c);
const char *capture_skip_name(enum capture_skip s);
const char *capture_limit_name(enum capture_limit l);
const char *capture_event_kind_name(enum capture_event_kind k);
const char *capture_proto_name(enum capture_proto p);
const char *capture_tcp_note_name(enum capture_tcp_note n);
const char *capture_close_reason_name(enum capture_close_reason r);

/* Map an HTTP exchange or a complete WebSocket text message to a sample (see docs/captures.md
 * for each field).  Strings are borrowed from the event.  False for other events. */
bool capture_event_to_sample(const struct capture_event *ev, struct sample *s);

/* NSS key log (SSLKEYLOGFILE): "LABEL <64 hex client random> <hex secret>" lines; comments and
 * blank lines skipped; CLIENT_RANDOM (TLS 1.2 master secret) and CLIENT_/SERVER_TRAFFIC_SECRET_0
 * (TLS 1.3) are used, other labels counted.  Bounded: CAPTURE_KEYLOG_MAX_LINE bytes per line,
 * CAPTURE_KEYLOG_MAX_ENTRIES client randoms; a bad or overlong line is counted and skipped. */
#define CAPTURE_KEYLOG_MAX_LINE 1024u
#define CAPTURE_KEYLOG_MAX_ENTRIES (1u << 20)
struct capture_keylog;
struct capture_keylog_stats {
	uint64_t lines;              /* non-blank, non-comment lines */
	uint64_t used;               /* lines with a label that decryption uses */
	uint64_t other;              /* well-formed lines with other labels (handshake secrets...) */
	uint64_t bad;                /* malformed: wrong field count, bad hex, bad lengths, too long */
	uint64_t dropped;            /* beyond CAPTURE_KEYLOG_MAX_ENTRIES */
	uint64_t randoms;            /* distinct client randoms with a usable secret */
	bool truncated;              /* the last line had no newline (a key log still being written) */
};
/* NULL and a message naming the file when it cannot be read.  The key log, from either, is
 * the caller's: free it with capture_keylog_free after the captures that use it are closed. */
struct capture_keylog *capture_keylog_load(const char *path, char *err, size_t errlen);
struct capture_keylog *capture_keylog_parse(const char *buf, size_t n);
const struct capture_keylog_stats *capture_keylog_stats(const struct capture_keylog *k);
void capture_keylog_free(struct capture_keylog *k);
/* Decrypt TLS connections whose keys are in k (borrowed; set before the first capture_next). */
void capture_set_keylog(struct capture *c, const struct capture_keylog *k);

/* Packet-injection interface (tests, fuzzing): a capture with no file, fed one link-layer frame
 * at a time; capture_finish() ends the input so capture_next() can flush and report CAP_END.
 * Never NULL; the caller frees it with capture_close. */
struct capture *capture_open_raw(int dlt, struct diag *d);
void capture_feed(struct capture *c, int64_t ts_ns, const uint8_t *frame, size_t caplen,
		  size_t wirelen);
void capture_finish(struct capture *c);

#endif
