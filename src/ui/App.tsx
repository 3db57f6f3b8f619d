export function App() {
  return (
    <main>
      <h1>WebGPU Training Studio</h1>
    </main>
  );
}
