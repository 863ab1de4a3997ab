import { useLocation } from 'react-router';

/** Navigation state carrying a one-line success message, e.g. after a save. */
export interface FlashState {
  flash?: string;
}

/** Shows the flash message passed with the navigation that led here. */
export function Flash() {
  const state = useLocation().state as FlashState | null;
  if (!state?.flash) return null;
  return (
    <div className="alert alert-success" role="status">
      {state.flash}
    </div>
  );
}
