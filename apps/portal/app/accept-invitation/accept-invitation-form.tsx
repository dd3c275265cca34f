'use client';

import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { describedBy, FormAlert } from '../_client/field-error';
import { postJson, type FormProblem } from '../_client/post-json.util';

export function AcceptInvitationForm({ token }: { token: string }) {
  const router = useRouter();
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [pending, setPending] = useState(false);
  const errorId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (form.get('password') !== form.get('confirm')) {
      setProblem({ message: 'The two passwords are not the same.', field: 'confirm' });
      return;
    }
    setPending(true);
    setProblem(null);
    const result = await postJson<{ landing: string }>('/api/session/invitation', {
      token,
      password: form.get('password'),
      displayName: form.get('displayName') || undefined,
    });
    setPending(false);
    if (!result.ok) return setProblem(result.problem);
    router.replace(result.body.landing);
    router.refresh();
  }

  return (
    <form className="card form" onSubmit={(event) => void submit(event)}>
      <FormAlert problem={problem} id={errorId} />
      <label htmlFor="displayName">Your name (optional)</label>
      <input id="displayName" name="displayName" type="text" autoComplete="name" />
      {/* The gateway's rule (libs/auth PASSWORD_MIN_LENGTH), said before it refuses. */}
      <label htmlFor="password">Password (at least 12 characters)</label>
      <input id="password" name="password" type="password" autoComplete="new-password" required minLength={12} aria-describedby={describedBy(problem, errorId, 'password')} />
      <label htmlFor="confirm">Password again</label>
      <input id="confirm" name="confirm" type="password" autoComplete="new-password" required aria-describedby={describedBy(problem, errorId, 'confirm')} />
      <button className="button primary" type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Accept and sign in'}
      </button>
    </form>
  );
}
