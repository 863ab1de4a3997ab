import type { ReactNode } from 'react';

/** The centred card used by the setup and login screens. */
export function AuthScreen({ title, intro, children }: { title: string; intro: ReactNode; children: ReactNode }) {
  return (
    <main className="auth-screen">
      <div className="auth-card">
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <span>Quarry</span>
        </div>
        <h1>{title}</h1>
        <p className="muted">{intro}</p>
        {children}
      </div>
    </main>
  );
}
