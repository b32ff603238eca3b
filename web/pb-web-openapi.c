/*
 * pb-web-openapi.c: prints the REST API's OpenAPI 3 document (docs/openapi.json) from the
 * web gateway's route table, or checks the checked-in copy (a ctest): see pb-doc-gen.h.
 * OWNS: nothing. THREAD: main only.
 */
#include "pb-doc-gen.h"
#include "pb-buf.h"
#include "web-session.h"

#include <string.h>

int main(int argc, char **argv)
{
	char *json = web_api_openapi();
	struct pb_buf doc;

	pb_buf_init(&doc);
	pb_buf_append_str(&doc, json);
	pb_buf_append_c(&doc, '\n');
	free(json);
	return pb_doc_gen_main(argc, argv, pb_buf_steal(&doc, NULL), "the routes of web/web-api.c");
}
