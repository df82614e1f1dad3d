/* SPDX-License-Identifier: Apache-2.0 */
/* tm_scraper.c - the scraping thread (telemetry.h). Scrapes happen on an
 * absolute schedule (origin + k x interval, so a slow scrape does not shift
 * the later ones), each a blocking GET with a timeout of one interval (at
 * least 1 s). The first failure is reported on stderr; later ones only
 * become gaps. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/waiter.h"
#include "telemetry/telemetry.h"

struct tm_scraper {
    tm_scraper_opts o;
    tm_series s;
    pthread_t thread;
    sb_waiter w;     /* its mutex also guards s and origin */
    uint64_t origin; /* under w.mu */
    bool any_ok, reported, absent;
};

static void scrape(tm_scraper *sc)
{
    sb_buf body;
    sb_buf_init(&body);
    sb_err err;
    sb_err_clear(&err);
    double timeout = sc->o.interval_s > 1 ? sc->o.interval_s : 1;
    int st = eng_fetch((eng *)sc->o.e, "GET", sc->o.url, sc->o.headers, NULL, &body, timeout, &err);
    uint64_t now = sb_now_ns();
    char why[sizeof err.msg + 64];
    why[0] = '\0';
    if (st > 0 && st != 200)
        snprintf(why, sizeof why, "GET %s: HTTP %d", sc->o.url, st);
    else if (st != 200)
        snprintf(why, sizeof why, "%s", err.msg);
    /* the series is shared with tm_scraper_set_origin: add under the lock */
    pthread_mutex_lock(&sc->w.mu);
    int64_t t = (int64_t)now - (int64_t)sc->origin;
    if (!why[0]) {
        size_t gaps = sc->s.n_gaps;
        tm_series_add_body(&sc->s, t, body.data ? body.data : "", body.len);
        if (sc->s.n_gaps == gaps)
            sc->any_ok = true;
        else
            snprintf(why, sizeof why, "%s", sc->s.gaps[gaps].why);
    } else {
        tm_series_add_gap(&sc->s, t, why);
    }
    pthread_mutex_unlock(&sc->w.mu);
    if (why[0] && !sc->reported && !(sc->o.quiet_if_absent && !sc->any_ok)) {
        fprintf(stderr, "servebench serve: %s: %s; the benchmark goes on (gaps are recorded)\n",
                sc->o.what, why);
        sc->reported = true;
    }
    sb_buf_free(&body);
}

static void *scraper_main(void *arg)
{
    tm_scraper *sc = arg;
    uint64_t start = sb_now_ns(), step = (uint64_t)(sc->o.interval_s * 1e9);
    for (uint64_t k = 1;; k++) {
        scrape(sc);
        if (sc->o.quiet_if_absent && !sc->any_ok) {
            sc->absent = true; /* no /metrics here: nothing to follow */
            return NULL;
        }
        if (sb_waiter_sleep_until(&sc->w, start + k * step))
            break;
    }
    scrape(sc); /* the state at the end of the run */
    return NULL;
}

tm_scraper *tm_scraper_start(const tm_scraper_opts *o, sb_err *err)
{
    tm_scraper *sc = sb_xcalloc(1, sizeof *sc);
    sc->o = *o;
    sc->origin = o->origin_ns;
    sc->s.url = sb_xstrdup(o->url);
    sc->o.url = sc->s.url; /* the caller's string may go once we return */
    sc->s.interval_s = o->interval_s;
    sb_waiter_init(&sc->w);
    if (pthread_create(&sc->thread, NULL, scraper_main, sc) != 0) {
        sb_err_set(err, "%s: cannot start the scraping thread", o->what);
        sb_waiter_destroy(&sc->w);
        tm_series_free(&sc->s);
        free(sc);
        return NULL;
    }
    return sc;
}

void tm_scraper_set_origin(tm_scraper *sc, uint64_t origin_ns)
{
    pthread_mutex_lock(&sc->w.mu);
    int64_t shift = (int64_t)origin_ns - (int64_t)sc->origin;
    sc->origin = origin_ns;
    /* rows taken before the origin was known move onto the new clock */
    for (size_t i = 0; i < sc->s.n_rows; i++)
        sc->s.rows[i].t_ns -= shift;
    for (size_t i = 0; i < sc->s.n_gaps; i++)
        sc->s.gaps[i].t_ns -= shift;
    pthread_mutex_unlock(&sc->w.mu);
}

void tm_scraper_stop(tm_scraper *sc, tm_series *out, bool *absent)
{
    sb_waiter_stop(&sc->w);
    pthread_join(sc->thread, NULL);
    *absent = sc->absent;
    *out = sc->s;
    sb_waiter_destroy(&sc->w);
    free(sc);
}
