/* SPDX-License-Identifier: Apache-2.0 */
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

int report_check_result_dir(const report_opts *ro, sb_err *err)
{
    if (ro->result_dir && *ro->result_dir && report_make_dirs(ro->result_dir, err) < 0)
        return sb_err_prefix(err, "--result-dir: ");
    /* the folder the file will be in: report_result_path's dir + filename */
    sb_buf full, p;
    sb_buf_init(&full);
    sb_buf_init(&p);
    if (ro->result_dir && *ro->result_dir)
        sb_buf_printf(&full, "%s/", ro->result_dir);
    sb_buf_puts(&full, ro->result_filename ? ro->result_filename : "x");
    const char *slash = strrchr(full.data, '/');
    if (slash)
        sb_buf_printf(&p, "%.*s/.servebench-probe-XXXXXX", (int)(slash - full.data), full.data);
    else
        sb_buf_puts(&p, ".servebench-probe-XXXXXX");
    int fd = mkstemp(p.data);
    int rc = 0;
    if (fd < 0) {
        rc = sb_err_set(err, "cannot write the result file in %.*s: %s",
                        slash ? (int)(slash - full.data) : 1, slash ? full.data : ".",
                        strerror(errno));
    } else {
        close(fd);
        unlink(p.data);
    }
    if (rc == 0 && ro->result_filename && access(full.data, F_OK) == 0 &&
        access(full.data, W_OK) != 0)
        rc = sb_err_set(err, "--result-filename: cannot write %s: %s", full.data, strerror(errno));
    sb_buf_free(&full);
    sb_buf_free(&p);
    return rc;
}
