/* sim.h - the built-in simulated OpenAI-compatible LLM server.
 *
 * `servebench sim` runs it in the foreground; `servebench serve --sim` and the
 * tests start it in-process on its own thread through this interface. It
 * shares only core/ with the client side. */
#ifndef SB_SIM_H
#define SB_SIM_H

#include "core/err.h"

typedef struct sim_server sim_server;

/* Starts a simulator on a background thread, configured by the same options
 * as `servebench sim` (argv[0] is ignored; "--port 0" picks a free port).
 * Returns NULL with err set on bad options or bind failure. */
sim_server *sim_start(int argc, char **argv, sb_err *err);
/* The TCP port it listens on. */
int sim_port(const sim_server *s);
/* Stops the loop, closes every connection, joins the thread and frees. */
void sim_stop(sim_server *s);

#endif
