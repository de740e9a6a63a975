/* Unit tests of the response helpers the sites share. */
#include <string.h>

#include "http/http.h"
#include "support/tap.h"

int
main(void)
{
	char o[64];

	is_str(http_status_text(404), "Not found", "404");
	is_str(http_status_text(411), "Length required", "411");
	is_str(http_status_text(503), "Service unavailable", "503");
	is_str(http_status_text(599), "Something went wrong", "other 5xx");
	is_str(http_status_text(418), "Error", "other 4xx");

	http_url_origin("http://127.0.0.1:8080", o, sizeof(o));
	is_str(o, "http://127.0.0.1:8080", "origin of a bare origin");
	http_url_origin("https://id.example.com/path/x?q=1", o, sizeof(o));
	is_str(o, "https://id.example.com", "path and query dropped");
	http_url_origin("http://localhost:8090/", o, sizeof(o));
	is_str(o, "http://localhost:8090", "trailing slash dropped");
	http_url_origin("https://a-very-long-host-name.example.com:8443/x", o,
			16);
	is_int((int)strlen(o), 15, "bounded by the output size");
	return done_testing();
}
