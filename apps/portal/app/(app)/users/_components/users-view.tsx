'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { InvitationSent } from '@/app/_client/invitation-sent';
import type { InviteUserMutationVariables, MemberFieldsFragment } from '@/generated/browser/graphql';
import { seatsSentence, type Seats } from '@/app/_client/seats';
import { useLocale } from '../../dashboards/_components/use-locale';
import { useOrganisations } from '@/app/_client/organisations';
import { lmsUserIdOf, ROLE_CHOICES, RoleFields, type RoleChoice } from './role-fields';
import {
  ChangeRoleMutation,
  DeactivateUserMutation,
  GrantViewerOrganisationsMutation,
  InviteUserMutation,
  ReactivateUserMutation,
  RevokeInvitationMutation,
  SendPasswordResetMutation,
  UsersQuery,
} from './users.operations';

const roleLabel = (role: string) => ROLE_CHOICES.find((c) => c.role === role)?.label ?? role;
const NEW_CHOICE: RoleChoice = { role: 'manager', lmsUserId: '', organisationIds: [] };

export function UsersView() {
  const users = useQuery({ queryKey: ['users'], queryFn: () => runOperation(UsersQuery) });
  const [editing, setEditing] = useState<string | null>(null);
  // What the last change did, said once the editor closes (a deactivation leaves no other trace on screen).
  const [changed, setChanged] = useState<string | null>(null);
  const locale = useLocale();
  const date = (iso: string | null | undefined) => (iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso)) : 'Never');
  const organisations = useOrganisations();
  const orgName = (id: number) => organisations.data?.find((o) => o.id === id)?.name ?? `#${id}`;

  return (
    <div className="steps">
      <InviteForm seats={users.data?.seats} />
      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">People</h2>
        {users.error ? (
          <p className="notice error" role="alert">
            {users.error.message}
          </p>
        ) : null}
        <div className="table-wrap">
          <table className="data-table" data-testid="members">
            <caption className="visually-hidden">Members of the organisation</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Sees</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody aria-busy={users.isPending || undefined}>
              {users.data?.users.map((m) => (
                <tr key={m.membershipId} data-email={m.email}>
                  <th scope="row">
                    {m.displayName ?? m.email}
                    {m.displayName ? <span className="muted block">{m.email}</span> : null}
                  </th>
                  <td>{roleLabel(m.role)}</td>
                  <td>
                    {m.role === 'manager' ? (
                      <ManagerReach lmsUserId={m.lmsUserId} lmsUserName={m.lmsUserName} />
                    ) : m.role === 'viewer' ? (
                      viewerReach(m.organisationIds, orgName)
                    ) : (
                      'Everyone'
                    )}
                  </td>
                  <td>{m.status === 'active' ? 'Active' : 'Deactivated'}</td>
                  <td>{date(m.lastSignInAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="button"
                      aria-expanded={editing === m.membershipId}
                      aria-controls={`edit-${m.membershipId}`}
                      onClick={() => {
                        setChanged(null);
                        setEditing(editing === m.membershipId ? null : m.membershipId);
                      }}
                      aria-label={`Change ${m.email}`}
                    >
                      Change
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {changed ? (
          <p className="notice" role="status" data-testid="member-changed">
            {changed}
          </p>
        ) : null}
        {editing && users.data ? (
          <MemberEditor
            key={editing}
            member={users.data.users.find((m) => m.membershipId === editing)!}
            onDone={(what) => {
              setEditing(null);
              setChanged(what ?? null);
            }}
          />
        ) : null}
      </section>
      <PendingInvitations invitations={users.data?.pendingInvitations ?? []} date={date} orgName={orgName} />
    </div>
  );
}

function InviteForm({ seats }: { seats: Seats | undefined }) {
  const locale = useLocale();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [choice, setChoice] = useState<RoleChoice>(NEW_CHOICE);
  const [problem, setProblem] = useState<string | null>(null);
  const errorId = useId();
  const emailId = useId();
  const invite = useMutation({
    mutationFn: (variables: InviteUserMutationVariables) => runOperation(InviteUserMutation, variables),
    onSuccess: () => {
      setEmail('');
      setChoice(NEW_CHOICE);
      return client.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (error) => setProblem(error.message),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const lmsUserId = lmsUserIdOf(choice);
    if (typeof lmsUserId === 'string') return setProblem(lmsUserId);
    invite.mutate({ email: email.trim(), role: choice.role, lmsUserId, organisationIds: choice.role === 'viewer' ? choice.organisationIds : null });
  }

  const sent = invite.data?.inviteUser;
  const full = seats?.free === 0;
  const seatsId = useId();
  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      {seats ? (
        <p id={seatsId} className={full ? 'notice' : 'hint'} data-testid="seats">
          {seatsSentence(seats, locale)}
          {full ? ' Every seat is taken: deactivate someone or withdraw an invitation below to invite someone else, or ask Kineo for a plan with more seats.' : null}
        </p>
      ) : null}
      <form className="form" onSubmit={submit}>
        {problem ? (
          <p id={errorId} className="notice error" role="alert">
            {problem}
          </p>
        ) : null}
        <label htmlFor={emailId}>Email</label>
        <input id={emailId} type="email" required value={email} onChange={(event) => setEmail(event.target.value)} aria-describedby={problem ? errorId : undefined} />
        <RoleFields value={choice} onChange={setChoice} errorId={problem ? errorId : undefined} />
        <button type="submit" className="button primary" disabled={invite.isPending || full} aria-describedby={seats ? seatsId : undefined}>
          {invite.isPending ? 'Inviting…' : 'Send the invitation'}
        </button>
      </form>
      {sent ? <InvitationSent sent={sent} as={roleLabel(sent.role).toLowerCase()} /> : null}
    </section>
  );
}

function MemberEditor({ member, onDone }: { member: MemberFieldsFragment; onDone: (what?: string) => void }) {
  const client = useQueryClient();
  const [choice, setChoice] = useState<RoleChoice>({ role: member.role, lmsUserId: member.lmsUserId?.toString() ?? '', organisationIds: member.organisationIds });
  const [problem, setProblem] = useState<string | null>(null);
  // Deactivating signs someone out at once: asked first, naming them.
  const [confirming, setConfirming] = useState(false);
  const errorId = useId();
  const name = member.displayName ?? member.email;
  const done = async (what?: string) => {
    await client.invalidateQueries({ queryKey: ['users'] });
    onDone(what);
  };
  const save = useMutation({
    mutationFn: async (lmsUserId: number | null) => {
      if (choice.role !== member.role || (choice.role === 'manager' && lmsUserId !== member.lmsUserId)) {
        await runOperation(ChangeRoleMutation, { membershipId: member.membershipId, role: choice.role, lmsUserId });
      }
      if (choice.role === 'viewer') await runOperation(GrantViewerOrganisationsMutation, { membershipId: member.membershipId, organisationIds: choice.organisationIds });
    },
    onSuccess: () => done(`Saved ${name}'s role and access.`),
    onError: (error) => setProblem(error.message),
  });
  const toggle = useMutation({
    mutationFn: async () => {
      if (member.status === 'active') await runOperation(DeactivateUserMutation, { membershipId: member.membershipId });
      else await runOperation(ReactivateUserMutation, { membershipId: member.membershipId });
    },
    onSuccess: () =>
      done(member.status === 'active' ? `${name} is deactivated: signed out, and their seat is free. Reactivate them from Change.` : `${name} is active again and can sign in.`),
    onError: (error) => {
      setConfirming(false);
      setProblem(error.message);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const lmsUserId = lmsUserIdOf(choice);
    if (typeof lmsUserId === 'string') return setProblem(lmsUserId);
    save.mutate(lmsUserId);
  }

  return (
    <form id={`edit-${member.membershipId}`} className="form editor" onSubmit={submit} aria-labelledby={`edit-title-${member.membershipId}`}>
      <h3 id={`edit-title-${member.membershipId}`}>Change {member.displayName ?? member.email}</h3>
      {problem ? (
        <p id={errorId} className="notice error" role="alert">
          {problem}
        </p>
      ) : null}
      <RoleFields value={choice} onChange={setChoice} errorId={problem ? errorId : undefined} />
      <div className="actions">
        <button type="submit" className="button primary" disabled={save.isPending}>
          Save
        </button>
        <button type="button" className="button" onClick={() => onDone()}>
          Cancel
        </button>
        {member.status === 'active' ? (
          <button type="button" className="button danger" onClick={() => setConfirming(true)} disabled={confirming} aria-expanded={confirming}>
            Deactivate
          </button>
        ) : (
          <button type="button" className="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
            Reactivate
          </button>
        )}
      </div>
      {member.status === 'active' ? <PasswordReset member={member} onProblem={setProblem} /> : null}
      {member.status === 'active' && confirming ? (
        <div
          className="notice confirm"
          role="group"
          aria-label={`Deactivate ${name}?`}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setConfirming(false);
          }}
        >
          <p>Deactivate {name}? They are signed out at once and cannot sign in until you reactivate them; their seat is freed.</p>
          <div className="actions">
            <button type="button" className="button danger" onClick={() => toggle.mutate()} disabled={toggle.isPending} autoFocus>
              {toggle.isPending ? 'Deactivating…' : `Deactivate ${name}`}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Keep them
            </button>
          </div>
        </div>
      ) : member.status === 'active' ? (
        <p className="hint">Deactivating signs them out at once and frees their seat; you can reactivate them later.</p>
      ) : null}
    </form>
  );
}

/**
 * A link for a member to choose a new password (forgotten, or never set): mailed when the gateway
 * has a mail server, otherwise shown here to pass on, as an invitation's is. Their password and
 * sessions stay as they are until the link is used.
 */
function PasswordReset({ member, onProblem }: { member: MemberFieldsFragment; onProblem: (problem: string | null) => void }) {
  const locale = useLocale();
  const send = useMutation({
    mutationFn: () => runOperation(SendPasswordResetMutation, { membershipId: member.membershipId }),
    onMutate: () => onProblem(null),
    onError: (error) => onProblem(error.message),
  });
  const sent = send.data?.sendPasswordReset;
  const until = sent ? new Intl.DateTimeFormat(locale, { timeStyle: 'short' }).format(new Date(sent.expiresAt)) : '';
  return (
    <>
      <div className="actions">
        <button type="button" className="button" onClick={() => send.mutate()} disabled={send.isPending}>
          {send.isPending ? 'Sending…' : sent ? 'Send another password reset link' : 'Send a password reset link'}
        </button>
      </div>
      {sent ? (
        <div className="notice" role="status" data-testid="reset-sent">
          {sent.delivery === 'mailed' || !sent.link ? (
            <p>
              A link to choose a new password is on its way to {sent.email} by e-mail. It works once, until {until}; their current password works until it is used.
            </p>
          ) : (
            <>
              <p>
                No mail server is set up: pass this link on to {sent.email} yourself. It works once, until {until}; their current password works until it is used.
              </p>
              <p>
                <code className="raw" data-testid="reset-link">
                  {sent.link}
                </code>
              </p>
            </>
          )}
        </div>
      ) : null}
    </>
  );
}

/** Whom a manager sees: their LMS person by name when the published data has it, the id under it. */
function ManagerReach({ lmsUserId, lmsUserName }: { lmsUserId: number | null | undefined; lmsUserName: string | null | undefined }) {
  return (
    <>
      Their reports{lmsUserName ? ` (${lmsUserName})` : ''}
      <span className="muted block">{lmsUserId == null ? 'No LMS user linked' : `LMS user ${lmsUserId}`}</span>
    </>
  );
}

/** What a viewer (or a viewer's invitation) grants: the organisations by name, each with everything below it. */
function viewerReach(organisationIds: readonly number[], orgName: (id: number) => string): string {
  return organisationIds.length ? organisationIds.map(orgName).join(', ') : 'Nothing granted yet';
}

function PendingInvitations({
  invitations,
  date,
  orgName,
}: {
  invitations: { id: string; email: string; role: string; lmsUserId?: number | null; lmsUserName?: string | null; organisationIds: readonly number[]; expiresAt: string }[];
  date: (iso: string) => string;
  orgName: (id: number) => string;
}) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: (invitationId: string) => runOperation(RevokeInvitationMutation, { invitationId }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <section className="card" aria-labelledby="pending-title">
      <h2 id="pending-title">Invitations not accepted yet</h2>
      {revoke.error ? (
        <p className="notice error" role="alert">
          {revoke.error.message}
        </p>
      ) : null}
      {invitations.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="pending">
            <caption className="visually-hidden">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Will see</th>
                <th scope="col">Link expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((i) => (
                <tr key={i.id} data-email={i.email} data-role={i.role}>
                  <th scope="row">{i.email}</th>
                  <td>{roleLabel(i.role)}</td>
                  <td>{i.role === 'manager' ? <ManagerReach lmsUserId={i.lmsUserId} lmsUserName={i.lmsUserName} /> : i.role === 'viewer' ? viewerReach(i.organisationIds, orgName) : 'Everyone'}</td>
                  <td>{date(i.expiresAt)}</td>
                  <td>
                    <button type="button" className="button" onClick={() => revoke.mutate(i.id)} disabled={revoke.isPending} aria-label={`Withdraw the invitation of ${i.email}`}>
                      Withdraw
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
