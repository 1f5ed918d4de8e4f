/* Tests of the C API (openrms.h), written in C11 as its callers write it.
 *
 * Usage: capi_test SHARED_DIR WORK_DIR OPENRMS_COMMAND
 *   SHARED_DIR  ../shared (corpus/ with MANIFEST.tsv): missing -> the test fails
 *   WORK_DIR    an empty scratch folder
 *   OPENRMS_COMMAND  the openrms command, which sets up a store and enrols users, and opens a
 *                    file the C API protected
 * Independent checks: msoffcrypto-tool's expected outputs in the corpus (byte for byte), qpdf
 * (opens openrms's encrypted PDF with the password), poppler's pdftotext (reads the text of a
 * PDF decrypted with a recipient's key). Exit status 0 only if every check passed. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrms.h"

static int failures = 0;
static const char* shared_dir;
static const char* work_dir;
static const char* openrms_command;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_STATUS(expr, want)                                                           \
  do {                                                                                     \
    openrms_status got_ = (expr);                                                          \
    if (got_ != (want)) {                                                                  \
      fprintf(stderr, "%s:%d: %s gave %s (%s), wanted %s\n", __FILE__, __LINE__, #expr,    \
              openrms_status_name(got_), openrms_last_error(), openrms_status_name(want)); \
      ++failures;                                                                          \
    }                                                                                      \
  } while (0)

typedef struct {
  uint8_t* data;
  size_t size;
} bytes;

static char* path_in(const char* dir, const char* name) {
  /* A ring of buffers long enough that no path a test holds is reused under it. */
  static char buf[64][4096];
  static int next = 0;
  char* p = buf[next++ % 64];
  if (snprintf(p, 4096, "%s/%s", dir, name) >= 4096) {
    fprintf(stderr, "path too long: %s/%s\n", dir, name);
    exit(2);
  }
  return p;
}

static bytes read_whole(const char* path) {
  bytes b = {NULL, 0};
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    exit(2); /* the shared data must be there: fail loudly, never skip */
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b.data = malloc(n > 0 ? (size_t)n : 1);
  b.size = fread(b.data, 1, (size_t)n, f);
  fclose(f);
  return b;
}

static int file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- a streaming source and sink over file descriptors, as an embedder writes them ---- */

static int fd_read_at(void* ctx, uint64_t offset, void* buf, size_t len) {
  int fd = *(int*)ctx;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char*)buf + done, len - done, (off_t)(offset + done));
    if (n <= 0) return 1;
    done += (size_t)n;
  }
  return 0;
}

static int fd_write(void* ctx, const void* buf, size_t len) {
  int fd = *(int*)ctx;
  return write(fd, buf, len) == (ssize_t)len ? 0 : 1;
}

static int failing_write(void* ctx, const void* buf, size_t len) {
  (void)buf;
  size_t* budget = ctx;
  if (len > *budget) return 1;
  *budget -= len;
  return 0;
}

static void progress_count(void* ctx, uint64_t done, uint64_t total) {
  (void)done;
  (void)total;
  ++*(int*)ctx;
}

/* ---- tests ---- */

static void test_status_names(void) {
  CHECK(strcmp(openrms_status_name(OPENRMS_OK), "ok") == 0);
  CHECK(strcmp(openrms_status_name(OPENRMS_WRONG_PASSWORD), "wrong_password") == 0);
  CHECK(strcmp(openrms_status_name(OPENRMS_INTEGRITY), "integrity") == 0);
  CHECK(strcmp(openrms_status_name(OPENRMS_UNAVAILABLE), "unavailable") == 0);
  CHECK(strcmp(openrms_status_name(OPENRMS_OUT_OF_MEMORY), "out_of_memory") == 0);
  CHECK(strcmp(openrms_status_name(999), "unknown") == 0);
  CHECK(strcmp(openrms_version(), "0.1.0") >= 0);
}

/* Office files of the corpus decrypt to msoffcrypto-tool's output. */
static void test_office_corpus(void) {
  static const char* cases[][3] = {
      {"office/msoffcrypto__example_password.docx", "office/expected/msoffcrypto__example.docx",
       "Password1234_"},
      {"office/msoffcrypto__ecma376standard_password.docx",
       "office/expected/msoffcrypto__ecma376standard_password_plain.docx", "Password1234_"},
      {"office/msoffcrypto__rc4cryptoapi_password.doc",
       "office/expected/msoffcrypto__rc4cryptoapi_password_plain.doc", "Password1234_"},
  };
  char corpus[4096];
  snprintf(corpus, sizeof corpus, "%s/corpus", shared_dir);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    bytes in = read_whole(path_in(corpus, cases[i][0]));
    bytes want = read_whole(path_in(corpus, cases[i][1]));
    openrms_source src = openrms_source_from_memory(in.data, in.size);
    openrms_buffer out = {0};
    openrms_sink sink = openrms_sink_to_buffer(&out);
    openrms_office_result r;
    openrms_office_result_init(&r);
    CHECK_STATUS(openrms_office_decrypt(&src, &sink, cases[i][2], NULL, &r), OPENRMS_OK);
    if (i < 2) { /* OOXML: the same package, byte for byte */
      CHECK(out.size == want.size && memcmp(out.data, want.data, want.size) == 0);
    } else { /* a legacy compound file is rebuilt: equal stream by stream (formats_tests) */
      CHECK(out.size > 8 && memcmp(out.data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0);
    }
    CHECK(r.size == out.size);
    CHECK(r.scheme == (i == 0   ? OPENRMS_OFFICE_AGILE
                       : i == 1 ? OPENRMS_OFFICE_STANDARD
                                : OPENRMS_OFFICE_RC4_CRYPTOAPI));
    CHECK(r.integrity_verified == (i == 0));
    openrms_buffer_free(&out);
    CHECK(out.data == NULL && out.size == 0);

    /* A wrong password: the typed status, a message for people, no password in it. */
    openrms_sink sink2 = openrms_sink_to_buffer(&out);
    CHECK_STATUS(openrms_office_decrypt(&src, &sink2, "Secret-guess-42", NULL, NULL),
                 OPENRMS_WRONG_PASSWORD);
    CHECK(strlen(openrms_last_error()) > 10);
    CHECK(strstr(openrms_last_error(), "Secret-guess-42") == NULL);
    openrms_buffer_free(&out);
    free(in.data);
    free(want.data);
  }
  /* After a success the last error is empty again. */
  openrms_source none = openrms_source_from_memory("x", 1);
  char* json = NULL;
  CHECK_STATUS(openrms_office_info(&none, &json), OPENRMS_OK);
  CHECK(strcmp(openrms_last_error(), "") == 0);
  CHECK(json && strstr(json, "\"encryption\":\"none\"") != NULL);
  openrms_free(json);
}

/* Encrypt through file-descriptor callbacks, decrypt back, describe; tamper; options. */
static void test_office_round_trip(void) {
  char corpus[4096];
  snprintf(corpus, sizeof corpus, "%s/corpus", shared_dir);
  const char* plain_path = path_in(corpus, "office/expected/msoffcrypto__example.docx");
  bytes plain = read_whole(plain_path);
  int in_fd = open(plain_path, O_RDONLY);
  const char* enc_path = path_in(work_dir, "round.docx");
  int out_fd = open(enc_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(in_fd >= 0 && out_fd >= 0);
  openrms_source src = {&in_fd, plain.size, fd_read_at};
  openrms_sink sink = {&out_fd, fd_write};
  openrms_office_encrypt_options eo;
  openrms_office_encrypt_options_init(&eo);
  eo.hash = "SHA256";
  eo.spin_count = 1000;
  CHECK_STATUS(openrms_office_encrypt(&src, &sink, "pässword", &eo), OPENRMS_OK);
  close(in_fd);
  close(out_fd);

  char* json = NULL;
  bytes enc = read_whole(enc_path);
  openrms_source esrc = openrms_source_from_memory(enc.data, enc.size);
  CHECK_STATUS(openrms_office_info(&esrc, &json), OPENRMS_OK);
  CHECK(json && strstr(json, "\"encryption\":\"agile\"") && strstr(json, "\"spin_count\":1000") &&
        strstr(json, "\"hash\":\"SHA256\""));
  openrms_free(json);

  int calls = 0;
  openrms_office_decrypt_options dopt;
  openrms_office_decrypt_options_init(&dopt);
  dopt.progress = progress_count;
  dopt.progress_ctx = &calls;
  openrms_buffer out = {0};
  openrms_sink osink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_office_decrypt(&esrc, &osink, "pässword", &dopt, NULL), OPENRMS_OK);
  CHECK(out.size == plain.size && memcmp(out.data, plain.data, plain.size) == 0);
  CHECK(calls > 0);
  openrms_buffer_free(&out);

  /* One flipped byte near the end of the package: integrity, unless the caller opts out. */
  enc.data[enc.size - 700] ^= 0x01;
  osink = openrms_sink_to_buffer(&out);
  openrms_status s = openrms_office_decrypt(&esrc, &osink, "pässword", NULL, NULL);
  CHECK(s == OPENRMS_INTEGRITY || s == OPENRMS_BAD_FORMAT);
  openrms_buffer_free(&out);
  enc.data[enc.size - 700] ^= 0x01;

  /* A caller built against an older, shorter options struct: the rest are the defaults. */
  openrms_office_decrypt_options old;
  openrms_office_decrypt_options_init(&old);
  old.verify_integrity = 0;
  old.struct_size = (uint32_t)offsetof(openrms_office_decrypt_options, max_spin_count);
  osink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_office_decrypt(&esrc, &osink, "pässword", &old, NULL), OPENRMS_OK);
  openrms_buffer_free(&out);
  old.struct_size = 0; /* never initialised */
  osink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_office_decrypt(&esrc, &osink, "pässword", &old, NULL),
               OPENRMS_INVALID_ARGUMENT);
  openrms_buffer_free(&out);

  /* Bad arguments are typed errors, not crashes. */
  CHECK_STATUS(openrms_office_encrypt(&src, &sink, NULL, NULL), OPENRMS_INVALID_ARGUMENT);
  CHECK_STATUS(openrms_office_decrypt(NULL, &osink, "x", NULL, NULL), OPENRMS_INVALID_ARGUMENT);
  CHECK_STATUS(openrms_office_info(&esrc, NULL), OPENRMS_INVALID_ARGUMENT);
  eo.hash = "MD5";
  openrms_source psrc = openrms_source_from_memory(plain.data, plain.size);
  osink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_office_encrypt(&psrc, &osink, "pw", &eo), OPENRMS_INVALID_ARGUMENT);
  openrms_buffer_free(&out);

  /* A sink that fails midway: OPENRMS_IO, and the message says it was the caller's sink. */
  size_t budget = 3000;
  openrms_sink bad = {&budget, failing_write};
  CHECK_STATUS(openrms_office_decrypt(&esrc, &bad, "pässword", NULL, NULL), OPENRMS_IO);
  CHECK(strstr(openrms_last_error(), "sink") != NULL);

  /* Files: a wrong password leaves no output file; the right one writes it. */
  const char* dec_path = path_in(work_dir, "round-plain.docx");
  unlink(dec_path); /* left by an earlier run */
  CHECK_STATUS(openrms_office_decrypt_file(enc_path, dec_path, "wrong", NULL, NULL),
               OPENRMS_WRONG_PASSWORD);
  CHECK(!file_exists(dec_path));
  openrms_office_result r;
  openrms_office_result_init(&r);
  CHECK_STATUS(openrms_office_decrypt_file(enc_path, dec_path, "pässword", NULL, &r), OPENRMS_OK);
  bytes back = read_whole(dec_path);
  CHECK(back.size == plain.size && memcmp(back.data, plain.data, plain.size) == 0);
  CHECK(r.integrity_verified == 1);
  free(back.data);
  CHECK_STATUS(openrms_office_encrypt_file(path_in(work_dir, "missing.docx"),
                                           path_in(work_dir, "x.docx"), "pw", NULL),
               OPENRMS_IO);
  free(enc.data);
  free(plain.data);
}

/* Several threads at once, each with its own buffers: every result is right, and each thread
 * keeps its own last error. */
typedef struct {
  const bytes* encrypted;
  const bytes* plain;
  int ok;
} thread_job;

static void* decrypt_job(void* arg) {
  thread_job* j = arg;
  j->ok = 1;
  for (int round = 0; round < 3; ++round) {
    openrms_source src = openrms_source_from_memory(j->encrypted->data, j->encrypted->size);
    openrms_buffer out = {0};
    openrms_sink sink = openrms_sink_to_buffer(&out);
    if (openrms_office_decrypt(&src, &sink, "Password1234_", NULL, NULL) != OPENRMS_OK ||
        out.size != j->plain->size || memcmp(out.data, j->plain->data, out.size) != 0)
      j->ok = 0;
    openrms_buffer_free(&out);
    sink = openrms_sink_to_buffer(&out);
    if (openrms_office_decrypt(&src, &sink, "nope", NULL, NULL) != OPENRMS_WRONG_PASSWORD ||
        strlen(openrms_last_error()) == 0)
      j->ok = 0;
    openrms_buffer_free(&out);
  }
  return NULL;
}

static void test_threads(void) {
  char corpus[4096];
  snprintf(corpus, sizeof corpus, "%s/corpus", shared_dir);
  bytes enc = read_whole(path_in(corpus, "office/msoffcrypto__example_password.docx"));
  bytes plain = read_whole(path_in(corpus, "office/expected/msoffcrypto__example.docx"));
  pthread_t t[4];
  thread_job jobs[4];
  for (int i = 0; i < 4; ++i) {
    jobs[i] = (thread_job){&enc, &plain, 0};
    pthread_create(&t[i], NULL, decrypt_job, &jobs[i]);
  }
  for (int i = 0; i < 4; ++i) {
    pthread_join(t[i], NULL);
    CHECK(jobs[i].ok);
  }
  free(enc.data);
  free(plain.data);
}

static int run_ok(const char* command) {
  int rc = system(command);
  if (rc != 0) fprintf(stderr, "command failed (%d): %s\n", rc, command);
  return rc == 0;
}

static void test_pdf(void) {
  char corpus[4096], cmd[12288];
  snprintf(corpus, sizeof corpus, "%s/corpus", shared_dir);
  const char* plain_in = path_in(corpus, "pdf/qpdf__c-r6-in.pdf");
  const char* enc = path_in(work_dir, "c-r4.pdf");

  /* Decrypt a qpdf-written R6 file with its user password, then encrypt again (R4). */
  const char* plain = path_in(work_dir, "c-plain.pdf");
  unlink(path_in(work_dir, "nope.pdf"));
  openrms_pdf_result r;
  openrms_pdf_result_init(&r);
  CHECK_STATUS(openrms_pdf_decrypt_file(plain_in, plain, "user4", NULL, &r), OPENRMS_OK);
  CHECK(r.matched == OPENRMS_PDF_USER_PASSWORD && r.objects > 0);
  CHECK_STATUS(
      openrms_pdf_decrypt_file(plain_in, path_in(work_dir, "nope.pdf"), "user5", NULL, NULL),
      OPENRMS_WRONG_PASSWORD);
  CHECK(!file_exists(path_in(work_dir, "nope.pdf")));

  openrms_pdf_encrypt_options eo;
  openrms_pdf_encrypt_options_init(&eo);
  eo.revision = 4;
  eo.user_password = "reader";
  eo.owner_password = "boss";
  eo.permissions = "print";
  CHECK_STATUS(openrms_pdf_encrypt_file(plain, enc, &eo, NULL), OPENRMS_OK);
  /* qpdf opens it with the user password and reports the permissions openrms wrote. */
  snprintf(cmd, sizeof cmd,
           "qpdf --password=reader --show-encryption '%s' | grep -q 'extract for any purpose: not "
           "allowed' && qpdf --password=reader --check '%s' >/dev/null",
           enc, enc);
  CHECK(run_ok(cmd));

  bytes e = read_whole(enc);
  openrms_source src = openrms_source_from_memory(e.data, e.size);
  char* json = NULL;
  CHECK_STATUS(openrms_pdf_info(&src, "boss", NULL, &json), OPENRMS_OK);
  CHECK(json && strstr(json, "\"revision\":4") && strstr(json, "\"password_matched\":\"owner\"") &&
        strstr(json, "\"permits\":\"print\""));
  openrms_free(json);
  openrms_buffer out = {0};
  openrms_sink sink = openrms_sink_to_buffer(&out);
  openrms_pdf_result_init(&r);
  CHECK_STATUS(openrms_pdf_decrypt(&src, &sink, "reader", NULL, &r), OPENRMS_OK);
  CHECK(r.matched == OPENRMS_PDF_USER_PASSWORD && out.size == r.bytes && out.size > 0);
  CHECK(out.size > 5 && memcmp(out.data, "%PDF-", 5) == 0);
  openrms_buffer_free(&out);
  eo.permissions = "print,teleport";
  sink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_pdf_encrypt(&src, &sink, &eo, NULL), OPENRMS_INVALID_ARGUMENT);
  openrms_buffer_free(&out);
  free(e.data);

  /* Encrypted to a certificate (Acrobat-era PubSec file): the recipient's PKCS#12 key opens it,
   * and poppler reads the decrypted text. */
  openrms_recipient_key* key = NULL;
  CHECK_STATUS(openrms_recipient_key_load(path_in(corpus, "pdf/keys/PDFBOX-4421-keystore.pfx"),
                                          "wrong", &key),
               OPENRMS_WRONG_PASSWORD);
  CHECK(key == NULL);
  CHECK_STATUS(openrms_recipient_key_load(path_in(corpus, "pdf/keys/PDFBOX-4421-keystore.pfx"),
                                          "w!z%C*F-JaNdRgUk", &key),
               OPENRMS_OK);
  openrms_pdf_decrypt_options dopt;
  openrms_pdf_decrypt_options_init(&dopt);
  dopt.key = key;
  const char* pubsec_out = path_in(work_dir, "pubsec-plain.pdf");
  openrms_pdf_result_init(&r);
  CHECK_STATUS(openrms_pdf_decrypt_file(path_in(corpus, "pdf/pdfbox__AESkeylength256.pdf"),
                                        pubsec_out, NULL, &dopt, &r),
               OPENRMS_OK);
  CHECK(r.matched == OPENRMS_PDF_RECIPIENT_KEY);
  snprintf(cmd, sizeof cmd, "pdftotext '%s' - | grep -q 'Key length: 256'", pubsec_out);
  CHECK(run_ok(cmd));
  openrms_recipient_key_free(key);
}

static openrms_client* client_for(const char* store, const char* user) {
  openrms_client_options o;
  openrms_client_options_init(&o);
  o.store = store;
  o.user = user;
  o.dir = work_dir;
  o.durable = 0;
  openrms_client* c = NULL;
  CHECK_STATUS(openrms_client_open(&o, &c), OPENRMS_OK);
  return c;
}

static void test_protect(void) {
  char cmd[12288];
  char store[4096];
  snprintf(store, sizeof store, "%s/store.db", work_dir);
  snprintf(cmd, sizeof cmd,
           "cd '%s' && rm -rf store.db* *.rac.xml *.key.pem *.licenses && "
           "'%s' server init --store store.db >/dev/null && "
           "for u in alice bob carol; do '%s' user enroll $u@contoso.com --store store.db "
           ">/dev/null || exit 1; done",
           work_dir, openrms_command, openrms_command);
  CHECK(run_ok(cmd));

  /* No such store: a typed error. */
  openrms_client_options o;
  openrms_client_options_init(&o);
  o.store = path_in(work_dir, "no-store.db");
  openrms_client* none = NULL;
  CHECK_STATUS(openrms_client_open(&o, &none), OPENRMS_NOT_FOUND);
  CHECK(none == NULL);
  o.store = store;
  o.user = "dave@contoso.com"; /* never enrolled */
  o.dir = work_dir;
  CHECK_STATUS(openrms_client_open(&o, &none), OPENRMS_NOT_FOUND);

  const char* notes = path_in(work_dir, "notes.txt");
  const char* text = "quarterly numbers, not for forwarding\n";
  FILE* f = fopen(notes, "wb");
  fputs(text, f);
  fclose(f);
  const char* protected_path = path_in(work_dir, "notes.ptxt");
  unlink(protected_path);

  openrms_client* alice = client_for(store, "alice@contoso.com");
  openrms_protection p;
  openrms_protection_init(&p);
  p.kind = OPENRMS_PROTECT_DO_NOT_FORWARD;
  const char* to[] = {"bob@contoso.com"};
  p.recipients = to;
  p.recipient_count = 1;
  char* written = NULL;
  CHECK_STATUS(openrms_protect_file(alice, notes, NULL, &p, &written), OPENRMS_OK);
  CHECK(written && strcmp(written, protected_path) == 0);
  openrms_free(written);
  CHECK_STATUS(openrms_protect_file(alice, notes, NULL, &p, NULL), OPENRMS_INVALID_ARGUMENT);

  /* Inspection needs no user. */
  openrms_client_options io;
  openrms_client_options_init(&io);
  io.store = store;
  openrms_client* anyone = NULL;
  CHECK_STATUS(openrms_client_open(&io, &anyone), OPENRMS_OK);
  char* json = NULL;
  CHECK_STATUS(openrms_inspect_file(anyone, protected_path, &json), OPENRMS_OK);
  CHECK(json && strstr(json, "\"container\":\"pfile\"") &&
        strstr(json, "\"issuer\":\"alice@contoso.com\""));
  openrms_free(json);
  openrms_document* nobody = NULL;
  CHECK_STATUS(openrms_document_open(anyone, protected_path, &nobody), OPENRMS_INVALID_ARGUMENT);

  /* bob opens it: VIEW, not PRINT; the content; a range. */
  openrms_client* bob = client_for(store, "bob@contoso.com");
  openrms_document* doc = NULL;
  CHECK_STATUS(openrms_document_open(bob, protected_path, &doc), OPENRMS_OK);
  CHECK(openrms_document_can(doc, "VIEW") == 1);
  CHECK(openrms_document_can(doc, "PRINT") == 0);
  CHECK(openrms_document_can(doc, "FORWARD") == 0);
  CHECK(openrms_document_can(doc, "NOT-A-RIGHT") == 0);
  CHECK_STATUS(openrms_document_decision(doc, &json), OPENRMS_OK);
  CHECK(json && strstr(json, "\"user\":\"bob@contoso.com\""));
  openrms_free(json);
  openrms_buffer out = {0};
  openrms_sink sink = openrms_sink_to_buffer(&out);
  uint64_t n = 0;
  CHECK_STATUS(openrms_document_read(doc, &sink, &n), OPENRMS_OK);
  CHECK(n == strlen(text) && out.size == n && memcmp(out.data, text, n) == 0);
  openrms_buffer_free(&out);
  char part[9] = {0};
  size_t got = 0;
  CHECK_STATUS(openrms_document_read_at(doc, 10, part, 7, &got), OPENRMS_OK);
  CHECK(got == 7 && memcmp(part, text + 10, 7) == 0);
  openrms_document_free(doc);
  CHECK_STATUS(
      openrms_unprotect_file(bob, protected_path, path_in(work_dir, "bob-copy.txt"), 0, NULL),
      OPENRMS_NO_RIGHT);
  CHECK(!file_exists(path_in(work_dir, "bob-copy.txt")));

  /* carol was not a recipient. */
  openrms_client* carol = client_for(store, "carol@contoso.com");
  CHECK_STATUS(openrms_document_open(carol, protected_path, &doc), OPENRMS_NO_RIGHT);
  CHECK(doc == NULL);

  /* alice, the owner, takes the protection off. */
  const char* copy = path_in(work_dir, "alice-copy.txt");
  unlink(copy);
  CHECK_STATUS(openrms_unprotect_file(alice, protected_path, copy, 0, NULL), OPENRMS_OK);
  bytes back = read_whole(copy);
  CHECK(back.size == strlen(text) && memcmp(back.data, text, back.size) == 0);
  free(back.data);

  /* The command opens what the C API wrote. */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && '%s' open notes.ptxt --as bob@contoso.com --store store.db --print | "
           "cmp -s - notes.txt",
           work_dir, openrms_command);
  CHECK(run_ok(cmd));

  /* A changed byte anywhere in the container: integrity (or bad_format in the header). */
  bytes prot = read_whole(protected_path);
  prot.data[prot.size - 20] ^= 0x40;
  const char* tampered = path_in(work_dir, "tampered.ptxt");
  f = fopen(tampered, "wb");
  fwrite(prot.data, 1, prot.size, f);
  fclose(f);
  free(prot.data);
  CHECK_STATUS(openrms_document_open(bob, tampered, &doc), OPENRMS_OK);
  sink = openrms_sink_to_buffer(&out);
  CHECK_STATUS(openrms_document_read(doc, &sink, NULL), OPENRMS_INTEGRITY);
  CHECK(out.size == 0);
  openrms_buffer_free(&out);
  openrms_document_free(doc);

  openrms_client_free(alice);
  openrms_client_free(bob);
  openrms_client_free(carol);
  openrms_client_free(anyone);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: capi_test SHARED_DIR WORK_DIR OPENRMS_COMMAND\n");
    return 2;
  }
  openrms_command = argv[3];
  shared_dir = argv[1];
  work_dir = argv[2];
  if (mkdir(work_dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "cannot create %s: %s\n", work_dir, strerror(errno));
    return 2;
  }
  test_status_names();
  test_office_corpus();
  test_office_round_trip();
  test_threads();
  test_pdf();
  test_protect();
  if (failures)
    fprintf(stderr, "%d check(s) failed\n", failures);
  else
    printf("all C API checks passed\n");
  return failures ? 1 : 0;
}
