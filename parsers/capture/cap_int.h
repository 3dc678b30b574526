/* cap_int.h - internal interfaces between the capture layers (not for use outside
 * parsers/capture/ and its tests).
 *
 * Data flows one way: capture.c reads a frame -> cap_decode (link.c, ip.c, tcp.c) -> conn.c finds
 * the connection -> tcp.c reassembles each direction and hands in-order bytes, holes and
 * end-of-stream to conn.c's cap_app_* -> http1.c / websocket.c / tls.c -> event.c queues events.
 *
 * Stream offsets: each direction numbers its payload bytes from 0 (the byte after the SYN, or the
 * first byte seen when the SYN was not captured).  Holes advance the offset like data does.
 */
#ifndef JTLSCOPE_PARSERS_CAPTURE_CAP_INT_H
#define JTLSCOPE_PARSERS_CAPTURE_CAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/util.h"
#include "parsers/capture/capture.h"

/* DLT values as libpcap reports them (pcap/dlt.h); LINKTYPE_RAW (101) is mapped to DLT_RAW. */
#define CAP_DLT_NULL 0
#define CAP_DLT_EN10MB 1
#define CAP_DLT_RAW 12
#define CAP_DLT_RAW_OPENBSD 14
#define CAP_DLT_LOOP 108
#define CAP_DLT_LINUX_SLL 113
#define CAP_DLT_IPV4 228
#define CAP_DLT_IPV6 229
#define CAP_DLT_LINUX_SLL2 276

#define CAP_ETH_IPV4 0x0800
#define CAP_ETH_IPV6 0x86dd

#define CAP_TH_FIN 0x01
#define CAP_TH_SYN 0x02
#define CAP_TH_RST 0x04
#define CAP_TH_PSH 0x08
#define CAP_TH_ACK 0x10

#define CAP_NS_PER_S 1000000000LL

struct cap_addr {
	uint8_t len;      /* 4 or 16 */
	uint8_t b[16];
};

/* One decoded packet; pointers borrow the frame. */
struct cap_pkt {
	int64_t ts;
	size_t caplen, wirelen;
	uint16_t ethertype;
	unsigned vlan_tags;
	int ipver;
	struct cap_addr src, dst;
	uint8_t proto;
	const uint8_t *l4;
	size_t l4_cap;        /* captured bytes of the L4 header + payload */
	size_t l4_wire;       /* bytes the IP header says there are */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *pay;
	size_t pay_cap;       /* payload bytes captured (<= pay_wire) */
	size_t pay_wire;      /* payload bytes on the wire */
};

/* Link (link.c): find the network layer.  Sets pk->ethertype and the offset of the network
 * header; false + *why when the frame cannot be used. */
bool cap_link_decode(int dlt, const uint8_t *p, size_t caplen, struct cap_pkt *pk, size_t *off,
		     enum capture_skip *why);
const char *cap_dlt_name(int dlt);
bool cap_dlt_supported(int dlt);
/* IP (ip.c): IPv4 or IPv6 header (extension headers walked) -> addresses, L4 range. */
bool cap_ip_decode(const uint8_t *p, size_t caplen, struct cap_pkt *pk, enum capture_skip *why,
		   uint64_t *fragments);
/* TCP header (tcp.c). */
bool cap_tcp_decode(struct cap_pkt *pk, enum capture_skip *why);
/* All three. */
bool cap_decode(int dlt, const uint8_t *frame, size_t caplen, size_t wirelen, struct cap_pkt *pk,
		enum capture_skip *why, uint64_t *fragments);

/* Where in-order bytes came from. */
struct cap_seginfo {
	int64_t ts;           /* time of the packet that carried them */
	uint64_t off;         /* stream offset of the first byte */
	uint64_t peer_ack;    /* the other direction's stream offset this packet acknowledged */
	bool ack_valid;
};

struct cap_seg {
	struct cap_seg *next;
	uint64_t off;
	uint32_t cap;         /* bytes stored */
	uint32_t wire;        /* bytes on the wire (the rest were cut by the snaplen) */
	struct cap_seginfo si;
	uint8_t data[];
};

enum cap_mode {
	CAP_M_DETECT = 0,     /* protocol not known yet: bytes kept in det */
	CAP_M_HTTP,
	CAP_M_WS,
	CAP_M_TLS,
	CAP_M_OTHER,          /* not understood: bytes counted only */
};

/* HTTP/1.x parser state of one direction (http1.c). */
enum cap_hstate {
	CAP_HS_IDLE = 0,      /* between messages */
	CAP_HS_HEAD,          /* inside the start line / header block */
	CAP_HS_BODY,          /* Content-Length body: rem bytes left */
	CAP_HS_CHUNK_SIZE,
	CAP_HS_CHUNK_DATA,
	CAP_HS_CHUNK_CRLF,
	CAP_HS_TRAILER,
	CAP_HS_CLOSE_BODY,    /* body delimited by the end of the connection */
	CAP_HS_WAIT_UPGRADE,  /* client: holding bytes until the upgrade is answered */
	CAP_HS_RESYNC,        /* after a hole: looking for the start of the next message */
	CAP_HS_TUNNEL,        /* CONNECT or a non-WebSocket upgrade: opaque */
};

struct cap_exch;

struct cap_http_dir {
	enum cap_hstate st;
	struct strbuf buf;    /* header block (HEAD), chunk line, or line being checked (RESYNC) */
	bool line_blank;      /* the current line holds nothing but CR so far */
	bool trailer_blank;
	uint64_t rem;
	int64_t msg_ts;       /* first byte of the message in progress */
	struct cap_seginfo msg_si;
	struct cap_exch *cur; /* client: request whose body is being read; server: response */
	bool after_gap;       /* server: the next response follows a hole */
	struct strbuf hold;   /* client bytes after an Upgrade request, before the answer */
	struct cap_seginfo hold_si;
};

/* WebSocket parser state of one direction (websocket.c). */
struct cap_ws_dir {
	bool lost;            /* framing lost after a hole in a header */
	uint8_t hdr[14];
	unsigned hlen;
	bool in_payload;
	bool fin, masked, rsv1, incomplete;
	unsigned opcode, msg_opcode;
	bool msg_rsv1;
	int64_t msg_first_ts; /* first byte of the message's first frame */
	int64_t last_ts;      /* last byte of the message (set on its final frame) */
	uint64_t msg_len;     /* payload bytes of the message so far */
	bool msg_incomplete;
	void *z;              /* z_stream for permessage-deflate, NULL until a compressed message */
	bool z_lost;          /* the inflate context is lost (hole, bad data, limit): no more inflation */
	bool inflating;       /* the current message is compressed and being inflated */
	bool msg_deflate;     /* inflation began with this message (its text is inflated text) */
	bool msg_inflated;    /* the current message was inflated whole */
	uint64_t inflated;    /* bytes inflated for the current message */
	uint8_t mask[4];
	uint64_t len, got;
	int64_t first_ts;
	struct strbuf pay;    /* frame payload prefix, unmasked */
	struct strbuf msg;    /* message prefix across fragments */
	bool msg_truncated;
};

/* TLS record parser state of one direction (tls.c). */
struct cap_tls_dir {
	bool lost;
	uint8_t hdr[5];
	unsigned hlen;
	unsigned type;
	uint32_t len, got;
	struct strbuf hs;     /* handshake bytes until the first hello is parsed */
	bool hello_done;
	bool ccs;             /* ChangeCipherSpec sent */
	bool after_ccs_record;
	bool appdata_seen;
	int64_t rec_first_ts;  /* packet time of the record's first byte */
	struct strbuf rec;     /* payload of the record being decrypted */
	bool rec_broken;       /* a hole inside it */
};

/* The exchange being assembled from record runs (tls.c). */
struct cap_tls_run {
	int64_t c_first, c_last, s_first, s_last;
	uint32_t c_records, s_records;
	uint64_t c_bytes, s_bytes;
	uint32_t lead_len[4];  /* the first server records of the run: length, first byte time */
	int64_t lead_first[4];
};

struct cap_dir {
	/* TCP (tcp.c) */
	bool base_set;
	uint32_t base;        /* sequence number of stream offset 0 */
	uint64_t next;        /* next in-order offset */
	uint64_t hi;          /* highest end offset seen */
	bool fin;
	uint64_t fin_off;     /* offset of the FIN */
	bool eof;             /* FIN delivered in order */
	struct cap_seg *ooo;  /* buffered out-of-order segments, sorted by offset */
	/* protocol (conn.c) */
	bool tls_outer;       /* bytes are TLS records decrypted with a key log; mode is the inner one */
	uint64_t plain_off;   /* decrypted bytes delivered so far (the inner stream's offset) */
	enum cap_mode mode;
	struct strbuf det;    /* detection bytes */
	uint64_t det_off;     /* stream offset of det[0] */
	struct { size_t end; struct cap_seginfo si; } piece[4];   /* later bytes join the last */
	unsigned npiece;
	struct cap_http_dir h;
	struct cap_ws_dir w;
	struct cap_tls_dir t;
};

/* One HTTP request/response exchange (http1.c). */
struct cap_exch {
	struct cap_exch *next;
	uint64_t seq;
	bool has_req;
	char method[CAPTURE_MAX_METHOD + 1];
	char *target;
	size_t target_n;
	bool has_host;
	char host[CAPTURE_MAX_HOST + 1];
	char reason[CAPTURE_MAX_REASON + 1];
	bool has_reason;
	char retry_after[CAPTURE_MAX_RAW_HEADER + 1];
	bool has_retry_after;
	int status, req_version, resp_version;
	unsigned flags, interim;
	int64_t req_first, req_last, resp_first, resp_last, interim_ns;
	uint64_t req_hdr, req_body, resp_hdr, resp_body;
	uint64_t req_end_off;
	bool req_done, is_head, is_connect, want_ws, identity;
	struct strbuf body;
	struct ratelimit rl;
};

/* A client WebSocket message waiting for its answer (websocket.c). */
struct cap_wsq {
	struct cap_wsq *next;
	uint64_t seq;
	int64_t first_ns, last_ns;
	uint64_t length;
	unsigned opcode;
	bool compressed, incomplete;
	char *id;                 /* correlation id (NUL-terminated), NULL when none */
	struct strbuf msg;        /* message prefix */
};

struct cap_tls_conn {
	char sni[CAPTURE_MAX_HOST + 1];
	char alpn[96];        /* offered, comma-separated (truncated) */
	char alpn_sel[32];
	unsigned client_version, version;
	int64_t ch_ts, sh_ts, done_ts;
	bool seen, done, emitted;
	struct cap_tls_run run;
	uint64_t xseq;
	uint8_t client_random[32], server_random[32];
	bool has_client_random, has_server_random;
	unsigned cipher;      /* selected cipher suite (ServerHello) */
	bool decrypted;       /* at least one record decrypted with the key log (tls_decrypt.c) */
	struct cap_tls_keys *keys; /* per-direction decryption state, NULL when none */
};

struct cap_conn {
	struct capture *cap;
	uint64_t id;
	uint64_t hash;                        /* tuple hash (symmetric), cached for the table */
	struct cap_conn *lprev, *lnext;       /* LRU list, least recent first */
	struct cap_addr addr[2];              /* [0] client, [1] server */
	uint16_t port[2];
	bool saw_syn, roles_final, open_emitted, closed, detect_scan, swap_wanted;
	uint32_t isn[2];
	bool isn_set[2];
	enum capture_proto proto;
	char name[128], astr[2][48];
	struct capture_conn_stats st;
	struct cap_dir d[2];
	size_t ooo_bytes;
	unsigned ooo_segs;
	struct cap_exch *qhead, *qtail;       /* requests in order, oldest unanswered first */
	unsigned qlen;
	uint64_t exch_seq;
	bool first_exchange_done;
	char *ws_host, *ws_path;             /* from the upgrade request */
	struct cap_wsq *wsq, *wsq_tail;      /* client messages awaiting an answer, oldest first */
	unsigned wsq_n;
	uint64_t wsx_seq;
	bool ws_by_id;                       /* an answer was paired by correlation id */
	bool ws_pmd;                         /* permessage-deflate negotiated in the 101 */
	bool ws_no_takeover[2];              /* client_/server_no_context_takeover, by direction */
	struct cap_tls_conn tls;
	struct cap_conn *run_prev, *run_next; /* in capture's list of answered, open TLS runs */
	bool run_linked;
	uint64_t ev_seq;
};

struct cap_qev;

/* A slot of a connection table: the tuple hash and the entry (NULL: empty). */
struct cap_slot {
	uint64_t hash;
	void *p;
};

/* What is left of a closed connection for CAPTURE_LINGER_S: enough to tell a stray packet of
 * it (an ACK of the FIN, a retransmission) from a new connection on the same tuple. */
struct cap_tomb {
	uint64_t hash;
	struct cap_addr addr[2];
	uint16_t port[2];
	bool seq_set[2];
	uint32_t seq_lo[2], seq_end[2];       /* sequence space the old directions used */
	int64_t last_ns;
	struct cap_tomb *lprev, *lnext;
};

struct capture {
	/* source */
	void *pcap;                           /* pcap_t */
	FILE *fp;
	struct input *in;
	struct diag *diag;
	const char *path;
	int dlt;
	bool raw, finished, flushed, fatal, tcp_events;
	char err[512];
	/* time */
	int64_t clock;                        /* highest packet time seen */
	int64_t start_ns;
	bool have_clock;
	/* connections (conn.c) */
	struct cap_slot *slot;                /* open connections: flat open-addressing table */
	size_t nslot, nconn;
	struct cap_conn *lru_head, *lru_tail;
	struct cap_slot *tslot;               /* tombstones of closed connections, same layout */
	size_t ntslot, ntomb;
	struct cap_tomb *tlru_head, *tlru_tail;
	uint64_t next_id;
	/* results */
	struct capture_counters cnt;
	uint64_t codes[1000];
	/* events (event.c) */
	struct cap_qev **q;
	size_t qn, qcap, qready, qhead;
	struct cap_qev *cur;
	uint64_t ev_serial;
	unsigned ws_inflaters;                /* zlib streams alive (CAPTURE_WS_MAX_INFLATERS) */
	struct cap_conn *run_head, *run_tail; /* open answered TLS runs, oldest last record first */
	const struct capture_keylog *keylog;  /* borrowed; NULL: no decryption */
	uint8_t *tls_plain;                   /* decrypted record (tls_decrypt.c), shared */
	/* encrypted response sizes (tls.c) */
	struct { uint64_t size, count; } *tls_sizes;
	size_t ntls_sizes;
	bool tls_sizes_sorted;
};

/* strbuf_add whose first allocation is `first` bytes at once (header blocks, event strings:
 * one malloc instead of a doubling series from 8 bytes). */
static inline void cap_sb_add(struct strbuf *sb, const void *p, size_t n, size_t first)
{
	if (!sb->cap && n < first) {
		void *b = sb->buf;
		xgrow(&b, &sb->cap, first, 1);
		sb->buf = b;
	}
	strbuf_add(sb, p, n);
}

/* conn.c */
struct cap_conn *cap_conn_lookup(struct capture *c, const struct cap_pkt *pk, int *dir);
void cap_conn_packet(struct capture *c, const struct cap_pkt *pk);
void cap_conn_close(struct cap_conn *cn, enum capture_close_reason why);
void cap_conn_sweep(struct capture *c);
void cap_conn_close_all(struct capture *c);
void cap_conn_free_all(struct capture *c);
/* Stamps jumped back: every open connection ends (CAP_CLOSE_END), tombstones go. */
void cap_conn_new_segment(struct capture *c);
void cap_conn_open_event(struct cap_conn *cn);
void cap_conn_set_proto(struct cap_conn *cn, enum capture_proto p);
void cap_app_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		  const struct cap_seginfo *si);
void cap_app_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si);
void cap_app_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si);
/* From tcp.c: routes through TLS decryption when the direction is tls_outer. */
void cap_stream_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		     const struct cap_seginfo *si);
void cap_stream_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si);
void cap_stream_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si);
/* Keys found: from now on both directions are decrypted and the plaintext detected anew. */
void cap_conn_plain_start(struct cap_conn *cn);
/* Address as text ("10.0.0.1", "::1"). */
void cap_addr_str(const struct cap_addr *a, char *out, size_t outlen);

/* tcp.c */
void cap_tcp_segment(struct cap_conn *cn, int dir, const struct cap_pkt *pk);
void cap_tcp_flush(struct cap_conn *cn, int dir);   /* holes over everything still buffered */
void cap_tcp_free(struct cap_dir *d);

/* http1.c */
enum cap_verdict { CAP_V_NEED_MORE = 0, CAP_V_NO, CAP_V_MAYBE, CAP_V_YES };
enum cap_verdict cap_http_request_verdict(const uint8_t *p, size_t n);
enum cap_verdict cap_http_response_verdict(const uint8_t *p, size_t n);
/* Does p start a request ("GET ", "POST ", ... known methods) or a response ("HTTP/1.")? */
bool cap_http_starts_message(const uint8_t *p, size_t n, bool server);
void cap_http_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		   const struct cap_seginfo *si);
void cap_http_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si);
/* Wait for the start of the next message (bytes before it are dropped). */
void cap_http_resync(struct cap_conn *cn, int dir);
void cap_http_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si);
void cap_http_close(struct cap_conn *cn, bool clean);
void cap_http_free(struct cap_conn *cn);

/* websocket.c */
void cap_ws_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		 const struct cap_seginfo *si);
void cap_ws_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si);
void cap_ws_close(struct cap_conn *cn);
void cap_ws_free(struct cap_conn *cn);
/* Sec-WebSocket-Extensions of the 101: permessage-deflate and its context-takeover parameters. */
void cap_ws_extensions(struct cap_conn *cn, struct strref value);

/* tls.c */
enum cap_verdict cap_tls_verdict(const uint8_t *p, size_t n, bool midstream, int *hello);
void cap_tls_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		  const struct cap_seginfo *si);
void cap_tls_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si);
void cap_tls_close(struct cap_conn *cn);
void cap_tls_free(struct cap_conn *cn);

/* tls_decrypt.c (OpenSSL libcrypto): keys from an NSS key log, AEAD record decryption. */
struct cap_tls_keys;
/* After the ServerHello: look the client random up in the key log and derive both
 * directions' keys.  False (and nothing allocated) without keys or for an unsupported suite. */
bool cap_tls_keys_setup(struct cap_conn *cn);
/* Decrypt one whole record of direction dir (hdr = its 5-byte header).  Returns true and
 * delivers the application data to cap_app_data when it decrypted. */
bool cap_tls_decrypt_record(struct cap_conn *cn, int dir, const uint8_t *hdr, const uint8_t *p,
			    size_t n, int64_t ts);
/* The direction counts one more record under its keys without decrypting it (TLS 1.2 Finished
 * after ChangeCipherSpec, a record cut by a hole). */
void cap_tls_skip_record(struct cap_conn *cn, int dir, size_t n, int64_t ts);
bool cap_tls_keys_active(const struct cap_conn *cn, int dir);
void cap_tls_keys_free(struct cap_conn *cn);
/* Parse a ClientHello (hs_type 1) or ServerHello (2) handshake message body into t. */
bool cap_tls_parse_hello(struct cap_tls_conn *t, unsigned hs_type, const uint8_t *p, size_t n);
/* Encrypted exchanges whose connection has been quiet CAPTURE_TLS_RUN_QUIET_MS since the last
 * server record are complete: emit them (called as the clock moves). */
void cap_tls_sweep(struct capture *c);

/* event.c.  cap_ev_new's event is the caller's until cap_ev_push hands it to the queue;
 * cap_ev_pop hands it back, and whoever holds it frees it with cap_ev_free. */
struct cap_qev *cap_ev_new(struct cap_conn *cn, enum capture_event_kind kind);
struct capture_event *cap_ev_get(struct cap_qev *q);
/* Copy n bytes into the event and point *field at them (p == NULL leaves it absent). */
void cap_ev_str(struct cap_qev *q, struct strref *field, const void *p, size_t n);
void cap_ev_push(struct capture *c, struct cap_qev *q);
void cap_ev_release(struct capture *c);      /* pending events become ready, sorted */
struct cap_qev *cap_ev_pop(struct capture *c);
void cap_ev_free(struct cap_qev *q);
void cap_ev_free_all(struct capture *c);
void cap_ev_tcp(struct cap_conn *cn, enum capture_tcp_note note, int dir, uint64_t len,
		int64_t ts);

#endif
