/*
 * pb-settings-snapshot.h: the settings a running node is using, as one immutable,
 * reference-counted snapshot held by the runtime. The sys actor (the settings' owner) publishes
 * a new snapshot at start and after each accepted change; readers take the current one, read
 * what they need from a consistent whole, and give it back. Before the first publish the
 * snapshot holds the defaults.
 * OWNS: the current snapshot (in struct pb_runtime). THREAD: any; publishing swaps the pointer
 * under a mutex, and a snapshot is freed by its last release.
 */
#ifndef PB_SETTINGS_SNAPSHOT_H
#define PB_SETTINGS_SNAPSHOT_H

#include "pb-settings.h"

struct pb_runtime;
struct pb_settings_holder;

/* The current snapshot, referenced: read it freely, never write it, and give it back with
 * pb_settings_release. Never NULL. Cheap (a mutex and an atomic increment): take it for one
 * piece of work, not for the life of a thread. */
const struct pb_settings *pb_settings_acquire(struct pb_runtime *rt);
/* Gives back a snapshot from pb_settings_acquire (NULL: nothing). */
void pb_settings_release(struct pb_runtime *rt, const struct pb_settings *s);
/* storage.history_keep in effect: how many changes the histories of collectors, connection
 * methods, blocks and API keys keep (for pb_store_history_who). */
uint32_t pb_settings_history_keep(struct pb_runtime *rt);
/* Makes a copy of s the current snapshot, its CIDR lists parsed from their text
 * (pb_settings_derive), so readers match addresses without parsing; holders of the previous one keep it until they
 * release it. For the settings' owner (the sys actor) and tests. */
void pb_settings_publish(struct pb_runtime *rt, const struct pb_settings *s);

/* The text beside the documents: the server's routing script as an administrator stored it
 * (sys-script.c; too long and multi-line for a settings value), carried by each snapshot so
 * the router sees a new one with the settings that come with it, without a restart.
 * pb_settings_publish keeps the current snapshot's text; this one publishes the current
 * settings with text (copied; NULL: none stored, the installed copy applies). */
void pb_settings_publish_server_script(struct pb_runtime *rt, const char *text);
/* The stored server script of a snapshot from pb_settings_acquire (borrowed: valid until it
 * is released), or NULL when none is stored. Only for acquired snapshots. */
const char *pb_settings_server_script(const struct pb_settings *snapshot);

/* For the runtime: the holder, created with the defaults, and its destruction (releases the
 * current snapshot; every other must have been released). */
struct pb_settings_holder *pb_settings_holder_create(void);
void pb_settings_holder_destroy(struct pb_settings_holder **h);

#endif
