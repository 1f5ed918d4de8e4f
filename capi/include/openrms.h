/* openrms.h: the C API of openrms (libopenrms.so.0).
 *
 * For callers in C and in any language with a C foreign-function interface (Go, Rust, .NET,
 * Java, Python's ctypes). It covers Office and PDF encryption, decryption and description,
 * and rights-protected files (protect, inspect, unprotect, open and read with the user's
 * rights); the C++ API (openrms/...hpp) is the complete one.
 *
 * Error model. Every function that can fail returns an openrms_status: OPENRMS_OK (0) or one of
 * the codes below, whose numbers are those of the C++ openrms::Errc and never change (new codes
 * are appended). After a failure, openrms_last_error() gives a message meant for people; it is
 * per thread and stays valid until the next openrms call on that thread. Messages never contain
 * passwords, keys or plaintext. No C++ exception crosses this API.
 *
 * Memory. Everything this API allocates for the caller has its own free function
 * (openrms_free for strings, openrms_buffer_free for buffers, openrms_recipient_key_free for
 * keys). Functions that fail leave their output parameters NULL / empty.
 *
 * Streaming. Inputs are openrms_source (random access: a size and a read_at callback) and
 * outputs openrms_sink (sequential: a write callback); the library never holds more than a few
 * MiB of a document in memory. openrms_source_from_memory() and openrms_sink_to_buffer() wrap
 * memory; the *_file functions take paths and write the output atomically (a temporary file
 * renamed onto the output only on success: a failure leaves no file behind). A sink that was
 * given to a failing call holds partial output the caller must discard.
 *
 * Options structs start with struct_size: initialise them with the matching *_init function
 * (which sets struct_size and the defaults), then change fields. The library reads only the
 * first struct_size bytes, so a program built against an older openrms.h keeps working with a
 * newer library. Passing NULL for options means the defaults.
 *
 * Threads. Every function is reentrant and may be called from several threads at once. A call
 * may use worker threads internally (threads = 0 means every core) and returns only once all
 * its work is done; a source's read_at may then be called from several threads at once.
 * Callbacks never outlive the call they were given to.
 *
 * ABI policy. The soname is libopenrms.so.0 for the whole 0.x series: within it, functions and
 * status codes are only added, structs only grow at their end (struct_size), and enum values
 * keep their numbers. Only the openrms_* symbols declared here are exported (a linker version
 * script hides everything else, including the C++ API and the libraries it links).
 *
 * Standards: ECMA-376 / [MS-OFFCRYPTO] for Office, ISO 32000-1 §7.6 and ISO 32000-2 §7.6 for PDF.
 */
#ifndef OPENRMS_H
#define OPENRMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define OPENRMS_API __attribute__((visibility("default")))
#else
#define OPENRMS_API
#endif

/* ---- status codes and errors ---------------------------------------------------------------- */

typedef int openrms_status;

#define OPENRMS_OK 0
#define OPENRMS_BAD_FORMAT 1        /* not what it claims to be, or corrupt / truncated */
#define OPENRMS_UNSUPPORTED 2       /* well-formed, but a feature openrms does not implement */
#define OPENRMS_WRONG_PASSWORD 3    /* the password (or key) does not open this content */
#define OPENRMS_INTEGRITY 4         /* tampered data: bad MAC, tag, padding or signature */
#define OPENRMS_NO_RIGHT 5          /* the user lacks the usage right the operation needs */
#define OPENRMS_EXPIRED 6           /* the content has expired */
#define OPENRMS_REVOKED 7           /* the content was revoked */
#define OPENRMS_RAC_EXPIRED 8       /* the user's Rights Account Certificate lapsed */
#define OPENRMS_LICENSE_EXPIRED 9   /* the use license's offline validity ended */
#define OPENRMS_IO 10               /* reading or writing failed (also a failing callback) */
#define OPENRMS_INVALID_ARGUMENT 11 /* a value outside the documented contract */
#define OPENRMS_CRYPTO 12           /* the crypto backend failed otherwise */
#define OPENRMS_NOT_FOUND 13        /* a named object does not exist */
#define OPENRMS_INTERNAL 14         /* a bug in openrms: please report it */
#define OPENRMS_UNAUTHENTICATED 15  /* a service caller's credentials are missing or invalid */
#define OPENRMS_UNAVAILABLE 16      /* a service is unreachable or overloaded: retry later */
#define OPENRMS_OUT_OF_MEMORY 100   /* an allocation failed */

/* The library's version, "MAJOR.MINOR.PATCH". Never NULL. */
OPENRMS_API const char* openrms_version(void);
/* The stable lower-case name of a status ("bad_format", "wrong_password", "ok"); "unknown" for
 * a number that is no status. Never NULL. */
OPENRMS_API const char* openrms_status_name(openrms_status status);
/* The message of the last failure on this thread ("" if the last call succeeded). Valid until
 * the next openrms call on this thread. Never NULL. */
OPENRMS_API const char* openrms_last_error(void);
/* Frees a string this API returned. NULL is allowed. */
OPENRMS_API void openrms_free(void* p);

/* ---- byte sources and sinks ------------------------------------------------------------------ */

/* Random-access input. read_at fills buf with the len bytes at offset (always inside
 * [0, size)) and returns 0, or nonzero on failure (the call then fails with OPENRMS_IO). It may
 * be called from several threads at once. */
typedef struct openrms_source {
  void* ctx;
  uint64_t size;
  int (*read_at)(void* ctx, uint64_t offset, void* buf, size_t len);
} openrms_source;

/* Sequential output. write appends len bytes and returns 0, or nonzero on failure (the call
 * then fails with OPENRMS_IO). Called from one thread at a time. */
typedef struct openrms_sink {
  void* ctx;
  int (*write)(void* ctx, const void* buf, size_t len);
} openrms_sink;

/* A growing buffer the library fills (openrms_sink_to_buffer). Its bytes may be plaintext:
 * openrms_buffer_free wipes them before freeing. */
typedef struct openrms_buffer {
  uint8_t* data;
  size_t size;
  size_t capacity;
} openrms_buffer;

/* A source over caller-owned memory, which must outlive every use of the source. */
OPENRMS_API openrms_source openrms_source_from_memory(const void* data, size_t size);
/* A sink appending to *buffer, which must start zeroed ({0}) or hold an earlier result. */
OPENRMS_API openrms_sink openrms_sink_to_buffer(openrms_buffer* buffer);
/* Wipes and frees the buffer's bytes and zeroes *buffer. NULL is allowed. */
OPENRMS_API void openrms_buffer_free(openrms_buffer* buffer);

/* Progress of long work: bytes done out of total (total may be 0 when unknown). Called on the
 * calling thread, at most every few MiB. */
typedef void (*openrms_progress_fn)(void* ctx, uint64_t done, uint64_t total);

/* ---- Office (ECMA-376 Agile and Standard; legacy .doc/.xls/.ppt decryption) ------------------ */

/* Office encryption schemes, as openrms_office_result.scheme reports them. */
#define OPENRMS_OFFICE_NONE 0
#define OPENRMS_OFFICE_AGILE 1
#define OPENRMS_OFFICE_STANDARD 2
#define OPENRMS_OFFICE_EXTENSIBLE 3
#define OPENRMS_OFFICE_IRM 4
#define OPENRMS_OFFICE_RC4_CRYPTOAPI 5
#define OPENRMS_OFFICE_RC4_BINARY 6
#define OPENRMS_OFFICE_XOR_OBFUSCATION 7
#define OPENRMS_OFFICE_UNKNOWN 8

typedef struct openrms_office_encrypt_options {
  uint32_t struct_size;
  int standard;        /* 0 = Agile (default), 1 = Standard (AES-ECB, [MS-OFFCRYPTO] 2.3.4.5) */
  unsigned key_bits;   /* 128, 192 or 256; 0 = 256 for Agile, 128 for Standard */
  const char* hash;    /* Agile: "SHA1", "SHA256", "SHA384", "SHA512" (default) */
  uint32_t spin_count; /* Agile: 0..10,000,000 (default 100,000) */
  unsigned threads;    /* 0 = every core */
  int durable;         /* *_file: fsync before the rename (default 1) */
  openrms_progress_fn progress;
  void* progress_ctx;
} openrms_office_encrypt_options;

typedef struct openrms_office_decrypt_options {
  uint32_t struct_size;
  int verify_integrity;    /* Agile dataIntegrity HMAC checked (default 1); 0 skips it, as
                              msoffcrypto-tool does, and altered bytes then go undetected */
  uint32_t max_spin_count; /* refuse files asking for more KDF work (default 10,000,000) */
  unsigned threads;        /* 0 = every core */
  int durable;             /* *_file: fsync before the rename (default 1) */
  openrms_progress_fn progress;
  void* progress_ctx;
} openrms_office_decrypt_options;

typedef struct openrms_office_result {
  uint32_t struct_size;
  int scheme;                /* OPENRMS_OFFICE_* */
  int used_default_password; /* opened with Excel's "VelvetSweatshop" */
  int integrity_verified;    /* Agile dataIntegrity checked and matched */
  uint64_t size;             /* plaintext bytes written */
} openrms_office_result;

OPENRMS_API void openrms_office_encrypt_options_init(openrms_office_encrypt_options* options);
OPENRMS_API void openrms_office_decrypt_options_init(openrms_office_decrypt_options* options);
OPENRMS_API void openrms_office_result_init(openrms_office_result* result);

/* Encrypts the OOXML package (.docx, .xlsx, .pptx ...) read from `in` with `password` (UTF-8,
 * 1..255 characters) into an encrypted compound file written to `out`.
 * OPENRMS_INVALID_ARGUMENT for an empty or too long password or bad options; OPENRMS_BAD_FORMAT
 * if the input is not an OOXML package (an encrypted one is said to be so). */
OPENRMS_API openrms_status openrms_office_encrypt(const openrms_source* in, const openrms_sink* out,
                                                  const char* password,
                                                  const openrms_office_encrypt_options* options);
/* Decrypts an encrypted Office document to its plain form (the OOXML package, or the plain
 * compound file of a .doc/.xls/.ppt). password may be NULL: Excel's default password is tried.
 * OPENRMS_WRONG_PASSWORD, OPENRMS_INTEGRITY (right password, altered file), OPENRMS_BAD_FORMAT,
 * OPENRMS_UNSUPPORTED (IRM, certificate-only, Word XOR). result may be NULL. */
OPENRMS_API openrms_status openrms_office_decrypt(const openrms_source* in, const openrms_sink* out,
                                                  const char* password,
                                                  const openrms_office_decrypt_options* options,
                                                  openrms_office_result* result);
/* The same between files; the output appears only when the whole call succeeded. */
OPENRMS_API openrms_status
openrms_office_encrypt_file(const char* in_path, const char* out_path, const char* password,
                            const openrms_office_encrypt_options* options);
OPENRMS_API openrms_status openrms_office_decrypt_file(
    const char* in_path, const char* out_path, const char* password,
    const openrms_office_decrypt_options* options, openrms_office_result* result);
/* A JSON object describing the document (container, application, encryption, and for Agile and
 * Standard files the algorithms, key encryptors and sizes: the schema of `openrms office info
 * --json`). *json_out is freed with openrms_free. No password needed. */
OPENRMS_API openrms_status openrms_office_info(const openrms_source* in, char** json_out);

/* ---- PDF (ISO 32000 standard security handler; Adobe.PubSec certificates) -------------------- */

/* A certificate with its private key, for PDFs encrypted to certificates. */
typedef struct openrms_recipient_key openrms_recipient_key;

/* Loads a PKCS#12 file (.p12/.pfx) or a PEM file holding a certificate and its private key;
 * password may be NULL. OPENRMS_IO, OPENRMS_BAD_FORMAT, OPENRMS_WRONG_PASSWORD. */
OPENRMS_API openrms_status openrms_recipient_key_load(const char* path, const char* password,
                                                      openrms_recipient_key** key_out);
/* Wipes and frees a key. NULL is allowed. */
OPENRMS_API void openrms_recipient_key_free(openrms_recipient_key* key);

typedef struct openrms_pdf_encrypt_options {
  uint32_t struct_size;
  int revision;               /* 6 (AES-256, default) or 4 (AES-128) */
  const char* user_password;  /* NULL or "": opens without a prompt */
  const char* owner_password; /* NULL: a random one nobody knows */
  const char* permissions;    /* "print,copy", "all" (default), "none", or a /P number */
  int encrypt_metadata;       /* default 1 */
  /* Encrypt to certificates instead of passwords (PEM or DER files); each recipient gets
   * `permissions`. The passwords must then be NULL. */
  const char* const* recipient_certificates;
  size_t recipient_count;
  /* For an input that is already encrypted: its password, or a recipient's key. */
  const char* current_password;
  const openrms_recipient_key* current_key;
  int durable; /* *_file: fsync before the rename (default 1) */
  openrms_progress_fn progress;
  void* progress_ctx;
} openrms_pdf_encrypt_options;

typedef struct openrms_pdf_decrypt_options {
  uint32_t struct_size;
  int verify_perms;                 /* R5/R6: refuse a /Perms that does not match /P (default 1) */
  const openrms_recipient_key* key; /* for a document encrypted to certificates */
  int durable;                      /* *_file: fsync before the rename (default 1) */
  openrms_progress_fn progress;
  void* progress_ctx;
} openrms_pdf_decrypt_options;

/* What opened the document. */
#define OPENRMS_PDF_NOT_ENCRYPTED 0
#define OPENRMS_PDF_USER_PASSWORD 2
#define OPENRMS_PDF_OWNER_PASSWORD 3
#define OPENRMS_PDF_RECIPIENT_KEY 4

typedef struct openrms_pdf_result {
  uint32_t struct_size;
  int matched; /* OPENRMS_PDF_* */
  uint64_t objects;
  uint64_t bytes;
} openrms_pdf_result;

OPENRMS_API void openrms_pdf_encrypt_options_init(openrms_pdf_encrypt_options* options);
OPENRMS_API void openrms_pdf_decrypt_options_init(openrms_pdf_decrypt_options* options);
OPENRMS_API void openrms_pdf_result_init(openrms_pdf_result* result);

/* Writes an encrypted copy of the PDF (re-encrypts an encrypted one given current_password or
 * current_key). OPENRMS_INVALID_ARGUMENT for bad options (a revision other than 4 or 6, an
 * unknown permission name, passwords together with recipients). result may be NULL. */
OPENRMS_API openrms_status openrms_pdf_encrypt(const openrms_source* in, const openrms_sink* out,
                                               const openrms_pdf_encrypt_options* options,
                                               openrms_pdf_result* result);
/* Writes a decrypted copy. password may be NULL (the empty user password is tried).
 * OPENRMS_WRONG_PASSWORD, OPENRMS_INTEGRITY (/Perms altered), OPENRMS_BAD_FORMAT,
 * OPENRMS_UNSUPPORTED. An unencrypted input is copied (matched = OPENRMS_PDF_NOT_ENCRYPTED). */
OPENRMS_API openrms_status openrms_pdf_decrypt(const openrms_source* in, const openrms_sink* out,
                                               const char* password,
                                               const openrms_pdf_decrypt_options* options,
                                               openrms_pdf_result* result);
OPENRMS_API openrms_status openrms_pdf_encrypt_file(const char* in_path, const char* out_path,
                                                    const openrms_pdf_encrypt_options* options,
                                                    openrms_pdf_result* result);
OPENRMS_API openrms_status openrms_pdf_decrypt_file(const char* in_path, const char* out_path,
                                                    const char* password,
                                                    const openrms_pdf_decrypt_options* options,
                                                    openrms_pdf_result* result);
/* A JSON object describing the PDF and its encryption (the schema of `openrms pdf info
 * --json`). password and key may be NULL. *json_out is freed with openrms_free. */
OPENRMS_API openrms_status openrms_pdf_info(const openrms_source* in, const char* password,
                                            const openrms_recipient_key* key, char** json_out);

/* ---- Rights-protected files (PFile, Office IRM, rights-managed PDF) -------------------------- */

/* A user's working set-up: where licenses come from (the embedded license server over an SQLite
 * store, or a licensing service) and the user's credentials as `openrms user enroll` writes them
 * (DIR/USER.rac.xml, DIR/USER.key.pem). Safe to use from several threads at once. */
typedef struct openrms_client openrms_client;

typedef struct openrms_client_options {
  uint32_t struct_size;
  const char* store;          /* SQLite store (NULL: $OPENRMS_STORE, else ~/.local/share/openrms) */
  const char* kek_file;       /* NULL: the store path + ".kek" */
  const char* server_url;     /* a licensing service ('openrms serve') instead of the store */
  const char* token;          /* its bearer token */
  const char* ca_file;        /* CA certificates to verify it with (NULL: the system's) */
  const char* user;           /* e-mail of the user to act for; NULL: inspection only */
  const char* dir;            /* folder of the user's RAC and key (NULL: ".") */
  const char* key_passphrase; /* for a key enrolled with a passphrase */
  int cache_use_licenses;     /* keep use licenses for offline opening (default 1) */
  const char* cache_dir;      /* NULL: DIR/USER.licenses */
  int durable;                /* fsync outputs before the rename (default 1) */
} openrms_client_options;

OPENRMS_API void openrms_client_options_init(openrms_client_options* options);
/* OPENRMS_NOT_FOUND (no store, no RAC/key for the user), OPENRMS_INVALID_ARGUMENT (a store
 * never initialised, both a store and a server), OPENRMS_WRONG_PASSWORD (the key's
 * passphrase), OPENRMS_UNAUTHENTICATED / OPENRMS_UNAVAILABLE (the service). */
OPENRMS_API openrms_status openrms_client_open(const openrms_client_options* options,
                                               openrms_client** client_out);
OPENRMS_API void openrms_client_free(openrms_client* client);

/* How to protect. */
#define OPENRMS_PROTECT_ENCRYPT_ONLY                                                           \
  0                                      /* every authenticated user who receives it may open, \
                                            edit and forward it, not remove the protection */
#define OPENRMS_PROTECT_TEMPLATE 1       /* a template of the server, by id */
#define OPENRMS_PROTECT_DO_NOT_FORWARD 2 /* these recipients may view, not forward or print */

typedef struct openrms_protection {
  uint32_t struct_size;
  int kind;                      /* OPENRMS_PROTECT_* (default encrypt-only) */
  const char* template_id;       /* OPENRMS_PROTECT_TEMPLATE */
  const char* const* recipients; /* OPENRMS_PROTECT_DO_NOT_FORWARD: e-mail addresses */
  size_t recipient_count;
  int overwrite; /* replace an existing output file (default 0: OPENRMS_INVALID_ARGUMENT) */
} openrms_protection;

OPENRMS_API void openrms_protection_init(openrms_protection* protection);
/* Protects in_path into out_path (NULL: beside the input, named as `openrms protect` names it:
 * a.txt -> a.ptxt, a.zip -> a.zip.pfile, Office and PDF files keep their extension). Office
 * documents get Office IRM, PDFs the rights-managed PDF wrapper, everything
 * else a PFile. *output_out (may be NULL) gets the path written, freed with openrms_free.
 * OPENRMS_INVALID_ARGUMENT for an already protected input or an existing output. */
OPENRMS_API openrms_status openrms_protect_file(openrms_client* client, const char* in_path,
                                                const char* out_path,
                                                const openrms_protection* protection,
                                                char** output_out);
/* What a protected file says about itself, as JSON (`openrms inspect --json`): content id,
 * issuer, owner, template, container, size, integrity. Needs no user. */
OPENRMS_API openrms_status openrms_inspect_file(openrms_client* client, const char* path,
                                                char** json_out);
/* Writes an unprotected copy (needs the EXPORT or OWNER right: OPENRMS_NO_RIGHT otherwise).
 * out_path NULL: the original name beside the input. overwrite: replace an existing file. */
OPENRMS_API openrms_status openrms_unprotect_file(openrms_client* client, const char* in_path,
                                                  const char* out_path, int overwrite,
                                                  char** output_out);

/* A protected file opened for the client's user: the use-license decision, and the content as
 * far as the rights allow. Not thread-safe: one thread at a time per document. */
typedef struct openrms_document openrms_document;

/* OPENRMS_NO_RIGHT (not a recipient), OPENRMS_EXPIRED, OPENRMS_REVOKED, OPENRMS_RAC_EXPIRED,
 * OPENRMS_INTEGRITY (altered file or forged license), OPENRMS_BAD_FORMAT. */
OPENRMS_API openrms_status openrms_document_open(openrms_client* client, const char* path,
                                                 openrms_document** document_out);
OPENRMS_API void openrms_document_free(openrms_document* document);
/* 1 if the user holds `right` ("VIEW", "EDIT", "PRINT", "EXTRACT", "EXPORT", "OWNER", ...),
 * else 0 (also for a name that is no right). */
OPENRMS_API int openrms_document_can(const openrms_document* document, const char* right);
/* The decision as JSON (`openrms open --json`): user, role, rights, content_expiry,
 * license_valid_until, license_from (server, cache or owner license). */
OPENRMS_API openrms_status openrms_document_decision(const openrms_document* document,
                                                     char** json_out);
/* Decrypts the whole content to `out` after verifying it (VIEW needed). *size_out may be
 * NULL. */
OPENRMS_API openrms_status openrms_document_read(const openrms_document* document,
                                                 const openrms_sink* out, uint64_t* size_out);
/* Up to len plaintext bytes from `offset` into buf; *read_out gets the count (0 at the end).
 * Verifies only the segments the range touches where the container allows it;
 * OPENRMS_UNSUPPORTED for files written before their container had per-segment integrity. */
OPENRMS_API openrms_status openrms_document_read_at(const openrms_document* document,
                                                    uint64_t offset, void* buf, size_t len,
                                                    size_t* read_out);

#ifdef __cplusplus
}
#endif

#endif /* OPENRMS_H */
