/* SPDX-License-Identifier: Apache-2.0 */
/* datadir.c - run-time location of the bundled data (see datadir.h). */
#include "core/datadir.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SB_DATA_REL
#define SB_DATA_REL "../share/servebench"
#endif

static char data_dir[PATH_MAX];
static pthread_once_t data_once = PTHREAD_ONCE_INIT;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* /proc/self/exe, not argv[0]: it names the real file even when the binary
 * was found through PATH or a symlink (/usr/bin/servebench -> /opt/...). */
static void find_data_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int len = snprintf(data_dir, sizeof data_dir, "%s/%s", exe, SB_DATA_REL);
            char real[PATH_MAX];
            if (len > 0 && (size_t)len < sizeof data_dir && is_dir(data_dir)) {
                /* "/usr/share/servebench" reads better in messages than "bin/../" */
                if (realpath(data_dir, real))
                    memcpy(data_dir, real, strlen(real) + 1);
                return;
            }
        }
    }
    snprintf(data_dir, sizeof data_dir, "%s", SB_DATA_DIR);
}

/* A handful of distinct names is ever asked for (string literals of the
 * callers); each joined path is kept in static storage for the life of the
 * process so callers may hold the pointer. */
enum { DATA_SLOTS = 8 };
static struct {
    const char *rel;
    char path[PATH_MAX];
} slots[DATA_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

const char *sb_data_path(const char *rel)
{
    pthread_once(&data_once, find_data_dir);
    pthread_mutex_lock(&slots_lock);
    size_t i = 0;
    while (i < DATA_SLOTS - 1 && slots[i].rel && strcmp(slots[i].rel, rel) != 0)
        i++;
    /* More names than slots (a programming error) reuse the last one. */
    if (!slots[i].rel || strcmp(slots[i].rel, rel) != 0) {
        slots[i].rel = rel;
        int len = snprintf(slots[i].path, sizeof slots[i].path, "%s/%s", data_dir, rel);
        if (len < 0 || (size_t)len >= sizeof slots[i].path)
            slots[i].path[0] = '\0'; /* over PATH_MAX: opening "" fails and says so */
    }
    const char *p = slots[i].path;
    pthread_mutex_unlock(&slots_lock);
    return p;
}
