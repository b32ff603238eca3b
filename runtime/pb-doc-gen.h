/*
 * pb-doc-gen.h: the main of a tool that prints a document generated from the code (the
 * settings reference from settings.def, the OpenAPI document from the web routes) and checks
 * the checked-in copy as a ctest:
 *   TOOL > docs/FILE         regenerate it
 *   TOOL --check docs/FILE   exit 1, naming the first differing line and the command above,
 *                            when the file is stale
 * OWNS: nothing. THREAD: main only.
 */
#ifndef PB_DOC_GEN_H
#define PB_DOC_GEN_H

/* Runs the tool: doc is the generated text (freed here), source names what it is made from
 * (for the message). Returns main's exit status. */
int pb_doc_gen_main(int argc, char **argv, char *doc, const char *source);

#endif
