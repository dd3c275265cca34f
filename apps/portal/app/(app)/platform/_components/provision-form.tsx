'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
import { FleetQuery, ProvisionTenantMutation } from './ops.operations';
import { LOCALES, MONTHS, PLANS } from './ops-format.util';

type Field = 'slug' | 'name' | 'plan' | 'fiscalStartMonth' | 'locale';
type Problems = Partial<Record<Field, string>>;

/** The gateway's refusal, on the field it is about (by code, or by the argument it names). */
const FIELD_OF_CODE: Record<string, Field> = {
  TENANT_SLUG_INVALID: 'slug',
  TENANT_SLUG_TAKEN: 'slug',
  TENANT_NAME_INVALID: 'name',
  PLAN_UNKNOWN: 'plan',
  TENANT_FISCAL_MONTH_INVALID: 'fiscalStartMonth',
  TENANT_LOCALE_INVALID: 'locale',
};

function fieldOf(error: OperationError): Field | undefined {
  const argument = typeof error.extensions.argument === 'string' ? error.extensions.argument.replace(/^input\./, '') : undefined;
  return FIELD_OF_CODE[error.code] ?? (argument as Field | undefined);
}

/** What can be told before asking: the slug's full rules are the gateway's, shown on the field when it refuses. */
function check(values: { slug: string; name: string }): Problems {
  const problems: Problems = {};
  if (!values.slug.trim()) problems.slug = 'Enter a slug: lower-case letters, digits and hyphens, 3 to 40 characters.';
  else if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(values.slug.trim())) {
    problems.slug = 'Use lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen.';
  }
  if (!values.name.trim()) problems.name = "Enter the organisation's name.";
  return problems;
}

/** Provisioning a tenant: a validated form; the tenant appears in the fleet as provisioning at once. */
export function ProvisionForm({ onProvisioned }: { onProvisioned: () => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState({ slug: '', name: '', plan: 'starter', fiscalStartMonth: 1, locale: 'en-GB' });
  const [problems, setProblems] = useState<Problems>({});
  // The slug just provisioned: its notice follows the tenant's status until it is active.
  const [done, setDone] = useState<string | null>(null);
  const made = useQuery({
    queryKey: ['fleet', done, null],
    queryFn: () => runOperation(FleetQuery, { first: 20, after: null, search: done }),
    enabled: done !== null,
    refetchInterval: (query) => (query.state.data?.fleet.items.find((t) => t.slug === done)?.status === 'active' ? false : 2000),
  });
  const madeTenant = made.data?.fleet.items.find((t) => t.slug === done);
  const provision = useMutation({
    mutationFn: () =>
      runOperation(ProvisionTenantMutation, {
        input: { slug: values.slug.trim(), name: values.name.trim(), plan: values.plan, fiscalStartMonth: values.fiscalStartMonth, locale: values.locale },
      }),
    onSuccess: async (data) => {
      setDone(data.provisionTenant.tenant.slug);
      setValues((v) => ({ ...v, slug: '', name: '' }));
      onProvisioned();
      await queryClient.invalidateQueries({ queryKey: ['fleet'] });
    },
    onError: (error) => {
      const field = error instanceof OperationError ? fieldOf(error) : undefined;
      if (field) setProblems({ [field]: error.message });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const found = check(values);
    setProblems(found);
    if (Object.keys(found).length === 0) provision.mutate();
  }

  const set = <K extends Field>(field: K, value: (typeof values)[K]) => {
    setValues((v) => ({ ...v, [field]: value }));
    setProblems((p) => ({ ...p, [field]: undefined }));
  };
  const describedBy = (field: Field, hint?: boolean) =>
    [hint ? `provision-${field}-hint` : '', problems[field] ? `provision-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const problem = (field: Field) =>
    problems[field] ? (
      <span id={`provision-${field}-error`} className="error-text field-error">
        {problems[field]}
      </span>
    ) : null;
  const unplaced = provision.error && !(provision.error instanceof OperationError && fieldOf(provision.error)) ? provision.error.message : null;

  return (
    <section className="tile" aria-labelledby="provision-heading">
      <h2 id="provision-heading">Provision a tenant</h2>
      <form className="form-grid" onSubmit={submit} noValidate aria-label="Provision a tenant">
        <div className="field">
          <label htmlFor="provision-slug">Slug</label>
          <input
            id="provision-slug"
            value={values.slug}
            onChange={(e) => set('slug', e.target.value)}
            aria-invalid={Boolean(problems.slug) || undefined}
            aria-describedby={describedBy('slug', true)}
            autoComplete="off"
            spellCheck={false}
          />
          <span id="provision-slug-hint" className="hint">
            Used at sign-in; cannot change later.
          </span>
          {problem('slug')}
        </div>
        <div className="field">
          <label htmlFor="provision-name">Organisation name</label>
          <input id="provision-name" value={values.name} onChange={(e) => set('name', e.target.value)} aria-invalid={Boolean(problems.name) || undefined} aria-describedby={describedBy('name')} />
          {problem('name')}
        </div>
        <div className="field">
          <label htmlFor="provision-plan">Plan</label>
          <select id="provision-plan" value={values.plan} onChange={(e) => set('plan', e.target.value)} aria-describedby={describedBy('plan')}>
            {PLANS.map((p) => (
              <option key={p.code} value={p.code}>
                {p.label}
              </option>
            ))}
          </select>
          {problem('plan')}
        </div>
        <div className="field">
          <label htmlFor="provision-month">Fiscal year starts</label>
          <select id="provision-month" value={values.fiscalStartMonth} onChange={(e) => set('fiscalStartMonth', Number(e.target.value))} aria-describedby={describedBy('fiscalStartMonth')}>
            {MONTHS.map((m, i) => (
              <option key={m} value={i + 1}>
                {m}
              </option>
            ))}
          </select>
          {problem('fiscalStartMonth')}
        </div>
        <div className="field">
          <label htmlFor="provision-locale">Locale</label>
          <select id="provision-locale" value={values.locale} onChange={(e) => set('locale', e.target.value)} aria-describedby={describedBy('locale')}>
            {LOCALES.map((l) => (
              <option key={l.tag} value={l.tag}>
                {l.label}
              </option>
            ))}
          </select>
          {problem('locale')}
        </div>
        <div className="field actions">
          <button type="submit" className="button primary" disabled={provision.isPending}>
            {provision.isPending ? 'Provisioning…' : 'Provision'}
          </button>
        </div>
      </form>
      {done ? (
        <p className="notice" role="status">
          {madeTenant && madeTenant.status !== 'provisioning' ? (
            <>
              Tenant {done} is {madeTenant.status}.{' '}
              {madeTenant.status === 'active' ? <Link href={`/platform/tenants/${encodeURIComponent(done)}`}>Invite its organisation admin</Link> : null}
            </>
          ) : (
            `Tenant ${done} is provisioning; it turns active when the worker is done.`
          )}
        </p>
      ) : null}
      {unplaced ? (
        <p className="notice error" role="alert">
          {unplaced}
        </p>
      ) : null}
    </section>
  );
}
