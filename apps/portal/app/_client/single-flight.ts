'use client';

import { useMutation, type UseMutateFunction, type UseMutationOptions, type UseMutationResult } from '@tanstack/react-query';
import { useRef } from 'react';

/**
 * `useMutation` whose `mutate` runs once at a time: asked again while the first is in flight, it does
 * nothing. A button disabled by `isPending` alone is beaten by a double-click, whose second click
 * comes before React has drawn the button disabled (the query cache tells React of the pending state
 * a tick later); the guard here is a ref set in the click handler itself, so the second click finds it
 * taken. It is let go once the mutation has settled, its `onSuccess` (a refresh it returns) included.
 */
export function useSingleFlightMutation<TData, TVariables = void>(
  options: UseMutationOptions<TData, Error, TVariables>,
): UseMutationResult<TData, Error, TVariables> {
  const mutation = useMutation(options);
  const inFlight = useRef(false);
  const mutate: UseMutateFunction<TData, Error, TVariables> = (...args) => {
    if (inFlight.current) return;
    inFlight.current = true;
    mutation
      .mutateAsync(...args)
      // The failure is the mutation's `error`, shown where the button is.
      .catch(() => undefined)
      .finally(() => {
        inFlight.current = false;
      });
  };
  return { ...mutation, mutate };
}
