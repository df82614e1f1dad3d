/* result_dir.c - report_check_result_dir: the result file's place, checked
 * before the run (see report.h).
 *
 * Why a probe file rather than access(W_OK): access() answers for the real
 * uid and ignores read-only mounts and ACL quirks; creating and removing a
 * file is what the save will do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/fsutil.h"
#include "report/report.h"

int report_check_result_dir(const sb_config *cfg, sb_err *err)
{
    const char *dir = cfg->result_dir && *cfg->result_dir ? cfg->result_dir : ".";
    if (report_make_dirs(dir, err) < 0)
        return sb_err_prefix(err, "--result-dir: ");
    sb_buf p;
    sb_buf_init(&p);
    /* a --result-filename with a folder in it is written into that folder */
    const char *fn = cfg->result_filename, *slash = fn ? strrchr(fn, '/') : NULL;
    if (slash)
        sb_buf_printf(&p, "%s/%.*s/.servebench-probe-XXXXXX", dir, (int)(slash - fn), fn);
    else
        sb_buf_printf(&p, "%s/.servebench-probe-XXXXXX", dir);
    int fd = mkstemp(p.data);
    int rc = 0;
    if (fd < 0) {
        rc = sb_err_set(err, "--result-dir %s: cannot write a file in %.*s: %s", dir,
                        (int)(strrchr(p.data, '/') - p.data), p.data, strerror(errno));
    } else {
        close(fd);
        unlink(p.data);
    }
    if (rc == 0 && cfg->result_filename) {
        sb_buf_reset(&p);
        sb_buf_printf(&p, "%s/%s", dir, cfg->result_filename);
        if (access(p.data, F_OK) == 0 && access(p.data, W_OK) != 0)
            rc = sb_err_set(err, "--result-filename %s: cannot write it: %s", p.data,
                            strerror(errno));
    }
    sb_buf_free(&p);
    return rc;
}
