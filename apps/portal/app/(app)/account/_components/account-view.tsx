'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { describedBy, FormAlert } from '@/app/_client/field-error';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
import type { FormProblem } from '@/app/_client/post-json.util';
import { useSingleFlightMutation } from '@/app/_client/single-flight';
import { countOf } from '@/app/_shared/count-of.util';
import { useTenantLocale } from '@/app/_client/locale-context';
import { AccountQuery, ChangePasswordMutation, SignOutOtherSessionsMutation } from './account.operations';

const ACCOUNT_KEY = ['account'];

/** The field a refusal is about, so the alert is read with it. */
function problemOf(error: Error): FormProblem {
  const code = error instanceof OperationError ? error.code : undefined;
  const field = code === 'CURRENT_PASSWORD_WRONG' ? 'currentPassword' : code === 'PASSWORD_WEAK' ? 'newPassword' : undefined;
  return { message: error.message, ...(field ? { field } : {}) };
}

const otherSignIns = (n: number, locale: string) => countOf(n, 'other sign-in', 'other sign-ins', locale);

export function AccountView() {
  const account = useQuery({ queryKey: ACCOUNT_KEY, queryFn: () => runOperation(AccountQuery) });
  if (account.error) {
    return (
      <p className="notice error" role="alert">
        {account.error.message}
      </p>
    );
  }
  if (!account.data) return <p aria-busy="true">Loading your account…</p>;
  const { hasPassword, otherSessions } = account.data.account;
  return (
    <div className="steps">
      {hasPassword ? (
        <PasswordForm />
      ) : (
        <section className="card" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <p>You sign in with your organisation&rsquo;s Microsoft account, so there is no Kineo Analytics password to change.</p>
        </section>
      )}
      <OtherSessions count={otherSessions} />
    </div>
  );
}

function PasswordForm() {
  const queryClient = useQueryClient();
  const locale = useTenantLocale();
  const form = useRef<HTMLFormElement>(null);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const errorId = useId();
  const change = useSingleFlightMutation({
    mutationFn: (variables: { currentPassword: string; newPassword: string }) => runOperation(ChangePasswordMutation, variables),
    onSuccess: ({ changePassword }) => {
      form.current?.reset();
      setDone(
        changePassword.sessionsEnded === 0
          ? 'Your password is changed. Use it the next time you sign in.'
          : `Your password is changed. Your ${otherSignIns(changePassword.sessionsEnded, locale)} ended; this one goes on.`,
      );
      return queryClient.invalidateQueries({ queryKey: ACCOUNT_KEY });
    },
    onError: (error) => setProblem(problemOf(error)),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => {
      const value = data.get(name);
      return typeof value === 'string' ? value : '';
    };
    const currentPassword = text('currentPassword');
    const newPassword = text('newPassword');
    setDone(null);
    if (newPassword !== text('confirm')) return setProblem({ message: 'The two new passwords are not the same.', field: 'confirm' });
    setProblem(null);
    change.mutate({ currentPassword, newPassword });
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change your password</h2>
      <p className="hint">Your other sign-ins (other browsers and devices) end when it changes; this one goes on.</p>
      <form ref={form} className="form" aria-labelledby="password-title" onSubmit={submit}>
        <FormAlert problem={problem} id={errorId} />
        <label htmlFor="currentPassword">Current password</label>
        <input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required aria-describedby={describedBy(problem, errorId, 'currentPassword')} />
        {/* The gateway's rule (libs/auth PASSWORD_MIN_LENGTH), said before it refuses. */}
        <label htmlFor="newPassword">New password (at least 12 characters)</label>
        <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" required minLength={12} aria-describedby={describedBy(problem, errorId, 'newPassword')} />
        <label htmlFor="confirm">New password again</label>
        <input id="confirm" name="confirm" type="password" autoComplete="new-password" required aria-describedby={describedBy(problem, errorId, 'confirm')} />
        <button className="button primary" type="submit" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change the password'}
        </button>
      </form>
      {done ? (
        <p className="notice" role="status">
          {done}
        </p>
      ) : null}
    </section>
  );
}

function OtherSessions({ count }: { count: number }) {
  const queryClient = useQueryClient();
  const locale = useTenantLocale();
  const [ended, setEnded] = useState<number | null>(null);
  const signOut = useSingleFlightMutation({
    mutationFn: () => runOperation(SignOutOtherSessionsMutation),
    onSuccess: ({ signOutOtherSessions }) => {
      setEnded(signOutOtherSessions);
      return queryClient.invalidateQueries({ queryKey: ACCOUNT_KEY });
    },
  });
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      <p data-testid="other-sessions">
        {count === 0 ? 'You are signed in here only.' : `Besides this one, you have ${otherSignIns(count, locale)} (other browsers or devices) that can still be used.`}
      </p>
      {signOut.error ? (
        <p className="notice error" role="alert">
          {signOut.error.message}
        </p>
      ) : null}
      {count > 0 ? (
        <button className="button" type="button" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
          {signOut.isPending ? 'Signing out…' : 'Sign out everywhere else'}
        </button>
      ) : null}
      {ended !== null ? (
        <p className="notice" role="status">
          {ended === 0 ? 'There was no other sign-in to end.' : `Signed out of ${otherSignIns(ended, locale)}.`}
        </p>
      ) : null}
    </section>
  );
}
