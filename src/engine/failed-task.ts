// What a rescue section sees of the failure it handles: Ansible's `ansible_failed_task` (the
// task's keywords, as its Task.serialize() names them) beside `ansible_failed_result`.
import type { Task } from '../playbook/model.js'

/**
 * The failed task's keywords under Ansible's names; keywords the task does not set are null, as in
 * Ansible. `args` are as the host saw them (rendered), or as written when they do not render.
 */
export function failedTaskView(task: Task, render: (v: unknown) => unknown): Record<string, unknown> {
  let args: unknown = task.args
  try {
    args = render(task.args)
  } catch {
    // the failure may be that very rendering: keep the text
  }
  return {
    name: task.name ?? task.title,
    action: task.module,
    args,
    when: task.when.map((c) => c.expr),
    tags: task.tags,
    register: task.register ?? null,
    notify: task.notify.length ? task.notify : null,
    loop: task.loop ?? null,
    ignore_errors: task.ignoreErrors ?? null,
    ignore_unreachable: task.ignoreUnreachable ?? null,
    become: task.become ?? null,
    become_user: task.becomeUser ?? null,
    become_method: task.becomeMethod ?? null,
    check_mode: task.checkMode ?? null,
    diff: task.diff ?? null,
    no_log: task.noLog ?? null,
    delegate_to: task.delegateTo ?? null,
    run_once: task.runOnce ?? null,
    any_errors_fatal: task.anyErrorsFatal ?? null,
    changed_when: task.changedWhen?.map((c) => c.expr) ?? [],
    failed_when: task.failedWhen?.map((c) => c.expr) ?? [],
    until: task.until?.map((c) => c.expr) ?? [],
    retries: task.retries ?? null,
    delay: task.delay ?? null,
    remote_user: task.remoteUser ?? null,
    connection: task.connection ?? null,
  }
}
