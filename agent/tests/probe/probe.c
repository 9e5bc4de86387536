/* The sandbox probe: run inside a job, it tries what a hostile tenant would try to break
 * out of its container and prints one line per attempt, `<name> allowed` or
 * `<name> denied <errno>`. The agent's tests assert that every attempt is denied. Every
 * attempt is harmless where it succeeds (a write puts back what was there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static void report(const char *name, long rc) {
	if (rc < 0)
		printf("%s denied %d\n", name, errno);
	else
		printf("%s allowed\n", name);
	fflush(stdout);
}

/* clone(2) with `flags`: the child exits at once. */
static long try_clone(unsigned long flags) {
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, 0, 0);
	return pid;
}

static long try_clone3(unsigned long flags) {
	struct {
		unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
			tls;
	} args;
	memset(&args, 0, sizeof args);
	args.flags = flags;
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, 0, 0);
	return pid;
}

/* Opens `path` for writing and writes back what it holds: harmless wherever it is allowed. */
static long try_write_back(const char *path) {
	char text[64] = {0};
	int rfd = open(path, O_RDONLY);
	if (rfd >= 0) {
		if (read(rfd, text, sizeof text - 1) < 0)
			text[0] = 0;
		close(rfd);
	}
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	long rc = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static long try_ptrace(void) {
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	long rc = ptrace(PTRACE_ATTACH, child, 0, 0);
	int saved = errno;
	kill(child, SIGKILL);
	waitpid(child, 0, 0);
	errno = saved;
	return rc;
}

int main(void) {
	report("clone_newuser", try_clone(CLONE_NEWUSER));
	report("clone_newns", try_clone(CLONE_NEWNS));
	report("clone_newnet", try_clone(CLONE_NEWNET));
	report("clone3_newuser", try_clone3(CLONE_NEWUSER));
	report("unshare_user", unshare(CLONE_NEWUSER));
	report("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, 0));
	report("ptrace_attach", try_ptrace());
	unsigned char params[120];
	memset(params, 0, sizeof params);
	report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	report("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
	struct perf_event_attr pe;
	memset(&pe, 0, sizeof pe);
	pe.size = sizeof pe;
	pe.type = PERF_TYPE_SOFTWARE;
	pe.config = PERF_COUNT_SW_CPU_CLOCK;
	pe.exclude_kernel = 1;
	report("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
	report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
	report("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, -3));
	report("write_proc_sys", try_write_back("/proc/sys/kernel/printk_ratelimit"));
	report("chroot", chroot("/tmp"));
	report("setns", syscall(SYS_setns, 0, 0));
	report("personality", syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */));
	report("userfaultfd", syscall(SYS_userfaultfd, 0));
	return 0;
}
