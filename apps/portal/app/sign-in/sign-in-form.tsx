'use client';

import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';

interface Problem {
  message: string;
  field?: 'email' | 'password' | 'tenant';
}

/**
 * `tenant`: the organisation named in the sign-in link, sent with the password so a member of several need not type it.
 * `returnTo`: the portal page the user was sent here from (checked by the page), opened instead of the role's landing page.
 */
export function SignInForm({ tenant, returnTo }: { tenant?: string; returnTo?: string }) {
  const router = useRouter();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pending, setPending] = useState(false);
  const [askTenant, setAskTenant] = useState(false);
  const errorId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setProblem(null);
    try {
      const res = await fetch('/api/session', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: form.get('email'), password: form.get('password'), tenant: form.get('tenant') || tenant }),
      });
      const body = (await res.json().catch(() => ({}))) as { landing?: string; message?: string; code?: string; field?: Problem['field'] };
      if (res.ok && body.landing) {
        router.replace(returnTo ?? body.landing);
        router.refresh();
        return;
      }
      if (body.code === 'TENANT_REQUIRED') setAskTenant(true);
      setProblem({ message: body.message ?? `Sign-in failed (HTTP ${res.status}).`, field: body.field });
    } catch {
      setProblem({ message: 'The portal could not be reached. Check your connection and try again.' });
    } finally {
      setPending(false);
    }
  }

  const describedBy = (field: Problem['field']) => (problem && (!problem.field || problem.field === field) ? errorId : undefined);

  return (
    <form className="card form" onSubmit={(event) => void submit(event)} noValidate={false}>
      {problem ? (
        <p id={errorId} className="notice error" role="alert">
          {problem.message}
        </p>
      ) : null}
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" autoComplete="username" required aria-describedby={describedBy('email')} autoFocus />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required aria-describedby={describedBy('password')} />
      {askTenant ? (
        <>
          <label htmlFor="tenant">Organisation</label>
          <input id="tenant" name="tenant" type="text" autoComplete="organization" aria-describedby={describedBy('tenant')} required />
          <p className="hint">You belong to several organisations: type the short name of the one to open.</p>
        </>
      ) : null}
      <button className="button primary" type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
