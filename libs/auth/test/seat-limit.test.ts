import { seatLimitError } from '../src';

const WAYS_OUT = 'Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.';

describe('the refusal of what does not fit in the seats', () => {
  it('tells the admin how many invitations need a seat and how many are free', () => {
    expect(seatLimitError(50, 3, { kind: 'invitations', count: 122 })?.message).toBe(
      `The plan allows 50 people (members and pending invitations) and 3 seats are taken: 122 invitations need a seat each and 47 are free, so none was sent. ${WAYS_OUT}`,
    );
    expect(seatLimitError(5, 4, { kind: 'invitations', count: 2 })?.message).toBe(
      `The plan allows 5 people (members and pending invitations) and 4 seats are taken: 2 invitations need a seat each and 1 is free, so none was sent. ${WAYS_OUT}`,
    );
    expect(seatLimitError(5, 5, { kind: 'invitations', count: 2 })?.message).toBe(
      `The plan allows 5 people (members and pending invitations) and all 5 seats are taken: 2 invitations need a seat each and none is free, so none was sent. ${WAYS_OUT}`,
    );
  });

  it('speaks of one invitation, or of letting a member back in, in the singular', () => {
    expect(seatLimitError(1, 1, { kind: 'invitations', count: 1 })?.message).toBe(
      `The plan allows 1 person (members and pending invitations) and 1 seat is taken: this invitation needs one. ${WAYS_OUT}`,
    );
    expect(seatLimitError(3, 3, { kind: 'reactivation' })?.message).toBe(
      `The plan allows 3 people (members and pending invitations) and all 3 seats are taken: letting this member back in needs one. ${WAYS_OUT}`,
    );
  });

  it('tells an invitee, who can free no seat, that the organisation has none for them and whom to ask', () => {
    // Counted once the invitation is claimed: its seat is no longer among those taken.
    const refusal = seatLimitError(3, 3, { kind: 'acceptance', organisation: 'Acme Health' });
    expect(refusal).toMatchObject({ code: 'PLAN_LIMIT' });
    expect(refusal?.message).toBe(
      'Acme Health has no seat free for you now: every seat of its plan is taken. Ask whoever invited you, an administrator of Acme Health, to free one; this link keeps working until it expires.',
    );
    expect(seatLimitError(3, 2, { kind: 'acceptance', organisation: 'Acme Health' })).toBeUndefined();
  });

  it('refuses nothing that fits, nothing that takes no new seat, nor anything when there is no subscription to hold to', () => {
    expect(seatLimitError(50, 3, { kind: 'invitations', count: 47 })).toBeUndefined();
    // Re-sending invitations that replace pending ones, even over a limit lowered since.
    expect(seatLimitError(5, 7, { kind: 'invitations', count: 0 })).toBeUndefined();
    expect(seatLimitError(null, 1000, { kind: 'invitations', count: 10 })).toBeUndefined();
  });
});
