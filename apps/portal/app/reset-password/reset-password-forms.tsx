'use client';

import Link from 'next/link';
import { useId, useState, type FormEvent } from 'react';
import { describedBy, FormAlert } from '../_client/field-error';
import { postJson, type FormProblem } from '../_client/post-json.util';

export function RequestResetForm() {
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const errorId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = new FormData(event.currentTarget).get('email');
    if (typeof email !== 'string') return;
    setPending(true);
    setProblem(null);
    const result = await postJson('/api/password-reset', { email });
    setPending(false);
    if (!result.ok) return setProblem(result.problem);
    setSentTo(email);
  }

  if (sentTo) {
    return (
      <p className="notice" role="status">
        If <strong>{sentTo}</strong> has an account, a link to reset its password is on its way. The link works once. <Link href="/sign-in">Back to sign in</Link>
      </p>
    );
  }
  return (
    <form className="card form" onSubmit={(event) => void submit(event)}>
      <p className="hint">Enter the address you sign in with; we will e-mail you a link to choose a new password.</p>
      <FormAlert problem={problem} id={errorId} />
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" autoComplete="username" required autoFocus aria-describedby={describedBy(problem, errorId, 'email')} />
      <button className="button primary" type="submit" disabled={pending}>
        {pending ? 'Sending…' : 'Send the reset link'}
      </button>
    </form>
  );
}

export function SetPasswordForm({ token }: { token: string }) {
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [done, setDone] = useState(false);
  const [pending, setPending] = useState(false);
  const errorId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (form.get('newPassword') !== form.get('confirm')) {
      setProblem({ message: 'The two passwords are not the same.', field: 'confirm' });
      return;
    }
    setPending(true);
    setProblem(null);
    const result = await postJson('/api/password-reset/confirm', { token, newPassword: form.get('newPassword') });
    setPending(false);
    if (!result.ok) return setProblem(result.problem);
    setDone(true);
  }

  if (done) {
    return (
      <p className="notice" role="status">
        Your password is changed and every earlier session has ended. <Link href="/sign-in">Sign in</Link> with the new password.
      </p>
    );
  }
  return (
    <form className="card form" onSubmit={(event) => void submit(event)}>
      <FormAlert problem={problem} id={errorId} />
      {/* The gateway's rule (libs/auth PASSWORD_MIN_LENGTH), said before it refuses. */}
      <label htmlFor="newPassword">New password (at least 12 characters)</label>
      <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" required minLength={12} autoFocus aria-describedby={describedBy(problem, errorId, 'newPassword')} />
      <label htmlFor="confirm">New password again</label>
      <input id="confirm" name="confirm" type="password" autoComplete="new-password" required aria-describedby={describedBy(problem, errorId, 'confirm')} />
      <button className="button primary" type="submit" disabled={pending}>
        {pending ? 'Saving…' : 'Set the new password'}
      </button>
    </form>
  );
}
