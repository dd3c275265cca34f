'use client';

import { useId } from 'react';
import type { TenantRole } from '@/generated/browser/graphql';
import { OrganisationPicker } from './organisation-picker';

export const ROLE_CHOICES: { role: TenantRole; label: string; hint: string }[] = [
  { role: 'manager', label: 'Manager', hint: 'sees the people below them in the hierarchy' },
  { role: 'viewer', label: 'Viewer', hint: 'sees the organisations granted' },
  { role: 'org_admin', label: 'Organisation admin', hint: 'loads data and manages people; sees everyone' },
];

export interface RoleChoice {
  role: TenantRole;
  lmsUserId: string;
  organisationIds: number[];
}

/** The role, and what it needs: a manager's LMS user, a viewer's organisations. */
export function RoleFields({ value, onChange, errorId }: { value: RoleChoice; onChange: (v: RoleChoice) => void; errorId?: string }) {
  const roleId = useId();
  const lmsId = useId();
  return (
    <>
      <label htmlFor={roleId}>Role</label>
      <select id={roleId} value={value.role} onChange={(event) => onChange({ ...value, role: event.target.value as TenantRole })}>
        {ROLE_CHOICES.map((c) => (
          <option key={c.role} value={c.role}>
            {c.label} — {c.hint}
          </option>
        ))}
      </select>
      {value.role === 'manager' ? (
        <>
          <label htmlFor={lmsId}>LMS user id</label>
          <input
            id={lmsId}
            inputMode="numeric"
            pattern="[0-9]+"
            required
            value={value.lmsUserId}
            onChange={(event) => onChange({ ...value, lmsUserId: event.target.value })}
            aria-describedby={errorId}
          />
        </>
      ) : null}
      {value.role === 'viewer' ? <OrganisationPicker selected={value.organisationIds} onChange={(organisationIds) => onChange({ ...value, organisationIds })} /> : null}
    </>
  );
}

/** A manager's LMS user id as typed (null for other roles), or a message saying what is wrong with it. */
export function lmsUserIdOf(choice: RoleChoice): number | null | string {
  if (choice.role !== 'manager') return null;
  const trimmed = choice.lmsUserId.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return 'The LMS user id must be a whole number (the id of the person in the LMS export).';
  return Number(trimmed);
}
