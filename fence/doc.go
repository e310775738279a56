// Package fence makes sure a node is powered off or cut off before
// anything it owned is recovered elsewhere, as Pacemaker's fencing
// (stonith) does for the clusters OpenStack runs on.
//
// It has five parts:
//
//   - Runner runs a fence agent of Debian's fence-agents (fence_ipmilan,
//     fence_dummy, fence_virsh, ...) with the agents' own protocol:
//     options as name=value lines on stdin (never on the command line,
//     where ps would show the password), the documented exit statuses
//     (status: 0 on, 2 off, 1 error; every other action 0 for success),
//     list and metadata output parsed, options validated against the
//     metadata, a deadline that kills the agent's whole process group,
//     and every password replaced by XXXX in errors, logs and Stats.
//   - Fencer is Pacemaker's fenced in small: Devices (an Agent with
//     options and pcmk_host_list, pcmk_host_map, pcmk_host_check,
//     pcmk_host_argument, pcmk_delay_base/max, retries), a topology of
//     Levels per node name, pattern or attribute (every device of a level
//     must succeed; on failure the next level is tried; a reboot across
//     several devices is all off, then all on), stonith-timeout, identical
//     concurrent requests merged into one (TestConcurrentFencesMerged),
//     one action at a time per device (TestDeviceRunsOneActionAtATime),
//     and an audit History of every attempt.
//   - Package quorum is corosync votequorum's arithmetic and Pacemaker's
//     no-quorum-policy, as pure functions.
//   - Feeder feeds a Watchdog (/dev/watchdog, or fencetest's fake) while
//     the node is healthy (quorate) and stops when it is not, as sbd
//     does, so a node cut off from its peers resets itself.
//   - Evacuator is instance HA's fence-then-evacuate: fence a failed host,
//     and run the caller's recovery only after the fencing is confirmed.
//
// A program that recovers work from failed nodes:
//
//  1. Configures one Device per power controller, with a HostList (or a
//     HostMap) naming the nodes each controls (see "Which device fences
//     which node"); in a two-node cluster it gives one node's device a
//     DelayBase longer than a fencing takes.
//  2. Computes quorum from the membership it sees (quorum.Update) and acts
//     on quorum.Decide: without quorum it neither fences nor recovers.
//  3. Runs a Feeder whose Healthy is its partition's quorum, so that a
//     node on the losing side of a split resets itself.
//  4. On a node failure, calls Evacuator.HostFailed (or Fencer.Fence and
//     then its recovery), and treats any error as "not fenced".
//
// # Which device fences which node
//
// A device without a HostList or HostMap finds its nodes as Pacemaker's
// pcmk_host_check default does: by its agent's list action when the
// metadata lists list, else by asking status for the node's plug and
// accepting an on or off answer, else it claims every node
// (TestDefaultHostCheckFollowsMetadata). That asking is only as good as
// the agent's answer. fence_ipmilan has no list in its metadata and its
// status ignores the plug: it reports its own chassis whatever node is
// named, so a BMC device without a host list claims every node
// (TestIPMILanDefaultHostCheckClaimsEveryNode), and with several of them
// the first in Devices would power off its own node to "fence" another.
// Give every single-node device, IPMI BMCs above all, a HostList with
// its node (or a HostMap), which makes the device-to-node mapping
// static and safe (TestDefaultHostCheckNeverShootsTheWrongNode shows
// the wrong-node shot this prevents on a controller that checks plugs).
//
// # Why recovery waits for a confirmed fence
//
// A node that stopped answering may still be running: hung for a while,
// cut off by a broken switch, or busy swapping. If its workload were
// started elsewhere before the node is known to be off, two copies would
// write the same disks and the same addresses. Only a fence agent that
// answered success (exit 0, "Success: Powered OFF") proves the node is
// off; an agent that failed proves nothing happened. Between the two lies
// the dangerous case: an agent killed at its deadline, or one that gave
// up "waiting to power OFF" after sending the command, may or may not
// have acted. Runner reports it as ErrUnknownOutcome, never as a plain
// failure, Fencer carries it to its caller, and Evacuator refuses to
// recover on it, exactly as on a failure (TestEvacuateRefused). The
// node stays unrecovered until a later fencing is confirmed or an
// operator confirms by hand that it is off.
//
// # Timeouts
//
// Each agent run has a deadline: Device.Timeout, or the Fencer's
// StonithTimeout (60 s, Pacemaker's default), or for a bare Runner the sum
// of the agent's own timeouts from its options (login_timeout,
// shell_timeout, power_timeout, power_wait, delay) plus 10 s. At the
// deadline the agent and every process it started (ipmitool, ssh) are
// killed with SIGKILL to its process group (TestRunnerTimeoutKillsProcessGroup,
// TestDummyTimeout) and the attempt is recorded with OutcomeUnknown. A
// device's retries share its timeout, as Pacemaker's pcmk_off_retries
// do; a device that times out does not end the fencing: the next level
// is tried, so a BMC that died with its node does not keep the PDUs of
// level 2 from fencing it (TestHungLevelFallsBack). When no device
// confirmed, Fence returns ErrUnknownOutcome if any of them may have
// acted (TestStonithTimeoutIsUnknown).
//
// # Failure model
//
// Options on stdin keep the password off the agent's own command line,
// but what the agent does with it is its own business: fence_ipmilan
// hands it to ipmitool as "-P password", so ps shows it for as long as
// ipmitool runs (check with: grep -n ' -P ' /usr/sbin/fence_ipmilan).
//
// Fencing is as good as the power controllers: a BMC that answers success
// without cutting power defeats it, as it defeats Pacemaker. Two nodes
// that lose each other both try to fence; pcmk_delay_base on one side
// makes that side wait, so the other one wins (TestTwoNodeRaceDelays); a
// random pcmk_delay_max alone only makes a mutual kill unlikely. Quorum
// arithmetic trusts the membership it is given. A watchdog resets the
// machine only if the kernel driver and hardware do; Feeder cannot reset
// anything by itself, and a clean stop of Feeder disarms the watchdog;
// so does Watchdog.Close, which a program must not call (nor defer) after
// Run returned ErrSelfFence.
// The audit History lives in memory and is bounded by HistoryLimit.
// Integration tests run every action against fence_dummy and against
// fence_ipmilan driving openipmi's ipmi_sim BMC simulator:
//
//	go test -tags integration ./fence/... ./examples/fence/
package fence
