/* A C program built against the installed openrms.h and libopenrms.so.0 (the find_package
 * target openrms::c): the library answers, and a file that is no Office document gets a typed
 * status and a message. */
#include <stdio.h>

#include <openrms.h>

int main(void) {
  const char not_office[] = "plain text, not an Office document";
  openrms_source src = openrms_source_from_memory(not_office, sizeof not_office);
  openrms_buffer out = {0};
  openrms_sink sink = openrms_sink_to_buffer(&out);
  openrms_status s = openrms_office_decrypt(&src, &sink, "pw", NULL, NULL);
  openrms_buffer_free(&out);
  if (s != OPENRMS_BAD_FORMAT && s != OPENRMS_UNSUPPORTED) {
    fprintf(stderr, "unexpected status %s: %s\n", openrms_status_name(s), openrms_last_error());
    return 1;
  }
  printf("c api ok: openrms %s, %s (%s)\n", openrms_version(), openrms_status_name(s),
         openrms_last_error());
  return 0;
}
