/**
 * What an invitation just sent says: who is invited as what, and its link to pass on when no mail
 * server sent it (it works once; only its hash is kept, so it is shown here and nowhere else).
 */
export function InvitationSent({ sent, as, linkTestId = 'invitation-link' }: { sent: { email: string; link: string; delivery: string }; as: string; linkTestId?: string }) {
  return (
    <div className="notice" role="status">
      <p>
        {sent.email} is invited as {as}.{' '}
        {sent.delivery === 'mailed' ? 'The link is on its way by e-mail.' : 'No mail server is set up: pass this link on yourself (it works once):'}
      </p>
      {sent.delivery === 'logged' ? (
        <p>
          <code className="raw" data-testid={linkTestId}>
            {sent.link}
          </code>
        </p>
      ) : null}
    </div>
  );
}
