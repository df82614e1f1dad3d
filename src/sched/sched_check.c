/* sched_check.c - the reference's validation of the load-shape flags.
 *
 * vllm checks ramp-up flags in main_async before anything is sent and asserts
 * burstiness > 0 and rate_i > 0 in get_request (reference doc 2.5 and 5.1).
 * The messages below are the reference's own, with numbers printed the way
 * Python's repr() prints a float ("0.0", "-1.5", "inf"), so a user switching
 * tools sees the same sentence. Ramp-up rates are Python ints there; here they
 * must at least be whole numbers small enough for a double to hold exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"
#include "sched/sched_priv.h"

/* Python float repr: shortest round-trip digits, positional for exponents in
 * [-4, 16), always with a ".0" when integral. */
static void py_float_repr(double v, char *out, size_t cap)
{
    if (isnan(v)) {
        snprintf(out, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e = [-]d[.ddd]e[+-]XX */
    char digits[24];
    size_t nd = 0;
    const char *s = e;
    int neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    digits[nd] = '\0';
    int exp10 = atoi(s + 1);
    char *o = out;
    size_t left = cap;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(o, left, __VA_ARGS__);                                                   \
        if (w_ < 0 || (size_t)w_ >= left)                                                          \
            return;                                                                                \
        o += w_;                                                                                   \
        left -= (size_t)w_;                                                                        \
    } while (0)
    if (neg)
        PUT("-");
    if (exp10 < -4 || exp10 >= 16) {
        PUT("%c", digits[0]);
        if (nd > 1)
            PUT(".%s", digits + 1);
        PUT("e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (exp10 < 0) {
        PUT("0.");
        for (int i = -1; i > exp10; i--)
            PUT("0");
        PUT("%s", digits);
    } else {
        for (int i = 0; i <= exp10; i++)
            PUT("%c", (size_t)i < nd ? digits[i] : '0');
        PUT(".");
        PUT("%s", (size_t)exp10 + 1 < nd ? digits + exp10 + 1 : "0");
    }
#undef PUT
}

static int whole_rate(double v)
{
    return isfinite(v) && v == floor(v) && fabs(v) <= 9007199254740992.0;
}

int sched_validate(const sb_config *cfg, sb_err *err)
{
    if (cfg->ramp_up != SB_RAMP_NONE) {
        if (!isinf(cfg->request_rate) || cfg->request_rate < 0)
            return sb_err_set(err, "When using ramp-up, do not specify --request-rate. The "
                                   "request rate will be controlled by ramp-up parameters.");
        double a = cfg->ramp_up_start_rps, b = cfg->ramp_up_end_rps;
        if (isnan(a) || isnan(b))
            return sb_err_set(err, "When using --ramp-up-strategy, both --ramp-up-start-rps "
                                   "and --ramp-up-end-rps must be specified");
        if (!whole_rate(a) || !whole_rate(b))
            return sb_err_set(err, "--ramp-up-start-rps and --ramp-up-end-rps must be whole "
                                   "numbers below 2^53");
        if (a < 0 || b < 0)
            return sb_err_set(err, "Ramp-up start and end RPS must be non-negative");
        if (a > b)
            return sb_err_set(err, "Ramp-up start RPS must be less than end RPS");
        if (cfg->ramp_up == SB_RAMP_EXPONENTIAL && a == 0)
            return sb_err_set(err, "For exponential ramp-up, the start RPS cannot be 0.");
    }
    if (!(cfg->burstiness > 0)) { /* NaN fails too, as Python's assert does */
        char b[48];
        py_float_repr(cfg->burstiness, b, sizeof b);
        return sb_err_set(err, "A positive burstiness factor is expected, but given %s.", b);
    }
    return 0;
}

/* Message for a rate_i <= 0 (linear ramp-up from 0, or a non-positive
 * --request-rate): the reference asserts on it. */
int sched_err_rate(double rate, sb_err *err)
{
    char r[48];
    py_float_repr(rate, r, sizeof r);
    return sb_err_set(err, "Obtained non-positive request rate %s.", r);
}
