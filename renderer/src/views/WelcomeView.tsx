import type { SampleEntry } from '../../../engine/host/contract.js';

export function WelcomeView(props: { samples: SampleEntry[]; recent: string[]; onNew: () => void; onOpen: () => void; onOpenPath: (path: string) => void }) {
  return (
    <section className="view welcome" data-testid="welcome-view">
      <h1>Headroom</h1>
      <p className="lead">Capacity planning for storage SLA control and SMP bus-aware dispatch.</p>
      <div className="welcome-actions">
        <button className="primary" onClick={props.onNew}>New study</button>
        <button onClick={props.onOpen}>Open…</button>
      </div>
      <div className="welcome-columns">
        <div>
          <h2>Samples</h2>
          <ul className="link-list">
            {props.samples.map((s) => (
              <li key={s.path}>
                <button className="link" data-testid={`sample-${s.name}`} onClick={() => props.onOpenPath(s.path)}>{s.title}</button>
                <small>{s.description}</small>
              </li>
            ))}
            {props.samples.length === 0 && <li className="muted">No samples found.</li>}
          </ul>
        </div>
        <div>
          <h2>Recent</h2>
          <ul className="link-list">
            {props.recent.map((p) => (
              <li key={p}><button className="link mono" onClick={() => props.onOpenPath(p)}>{p}</button></li>
            ))}
            {props.recent.length === 0 && <li className="muted">Nothing opened yet.</li>}
          </ul>
        </div>
      </div>
    </section>
  );
}
